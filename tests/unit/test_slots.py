"""Concurrency slots: entities start in plan order, `count` at a time; an idle wait gives the
slot to the next entity and takes one back (before any entity not yet started) to go on."""

from __future__ import annotations

import threading

import pytest

from hygge.slots import Slots, idle_wait


def _run(slots: Slots, ticket: int, body, log: list[str]) -> threading.Thread:  # type: ignore[no-untyped-def]
    def work() -> None:
        with slots.held(ticket):
            log.append(f"start {ticket}")
            body()
            log.append(f"end {ticket}")

    thread = threading.Thread(target=work)
    thread.start()
    return thread


def test_tickets_start_in_order_one_at_a_time_whatever_order_their_threads_arrive():
    slots, log = Slots(1), []
    threads = [_run(slots, ticket, lambda: None, log) for ticket in (3, 1, 2, 0)]
    for thread in threads:
        thread.join(10)

    assert log == [f"{kind} {t}" for t in range(4) for kind in ("start", "end")]


def test_an_idle_wait_lets_the_next_entity_run_and_returns_when_a_slot_is_free():
    slots, log = Slots(1), []
    second_done = threading.Event()

    def waiting() -> None:
        # the fake sleep returns once ticket 1 ran to its end inside ticket 0's wait
        idle_wait(30, sleep=lambda seconds: log.append("waiting") or second_done.wait(10))
        log.append("back 0")

    first = _run(slots, 0, waiting, log)
    second = _run(slots, 1, second_done.set, log)
    first.join(10), second.join(10)

    assert log == ["start 0", "waiting", "start 1", "end 1", "back 0", "end 0"]


def test_an_entity_back_from_its_wait_goes_before_one_not_yet_started():
    slots, log = Slots(1), []
    gate, waited = threading.Event(), threading.Event()

    def ticket0() -> None:
        idle_wait(30, sleep=lambda seconds: waited.set() or gate.wait(10))
        log.append("back 0")

    def ticket1() -> None:
        gate.set()  # 0's wait ends while 1 holds the slot; 2 is already queued
        while "queued 2" not in log:
            threading.Event().wait(0.01)

    first = _run(slots, 0, ticket0, log)
    assert waited.wait(10)
    second = _run(slots, 1, ticket1, log)
    log.append("queued 2")
    third = _run(slots, 2, lambda: None, log)
    for thread in (first, second, third):
        thread.join(10)

    assert log.index("back 0") < log.index("start 2")


def test_outside_a_slot_an_idle_wait_only_sleeps():
    slept: list[float] = []
    idle_wait(2.5, sleep=slept.append)
    idle_wait(-1, sleep=slept.append)

    assert slept == [2.5, 0.0]


@pytest.mark.parametrize("count", [0, -3])
def test_a_count_below_one_is_one_slot(count):
    slots, log = Slots(count), []
    for thread in [_run(slots, t, lambda: None, log) for t in range(2)]:
        thread.join(10)

    assert log == ["start 0", "end 0", "start 1", "end 1"]
