"""The delivery lock of a chunk (`hygge.functions.deliveries`): a holder silent for longer than
the chunk bound (HYGGE_CHUNK_SECONDS + margin) is taken over at once; a fresh one, or a live
process of this host, never is; the bound stays inside the host's functionTimeout."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from hygge.errors import EntityLockedError
from hygge.functions import deliveries
from hygge.functions.deliveries import chunk_delivery, delivery_name, delivery_stale_after
from hygge.functions.settings import CHUNK_SECONDS_RANGE
from hygge.state.memory import MemoryState, MemoryStateBackend

TASK = SimpleNamespace(flow="sales", entity="orders", qualified_name="sales.orders")
NAME = delivery_name("orders", "all")
BOUND = delivery_stale_after(60)  # HYGGE_CHUNK_SECONDS=60: two minutes


def _holder(shared: MemoryState, silent_for: timedelta, host: str = "worker-a") -> None:
    """A delivery that took the lock and last beat `silent_for` ago."""
    then = datetime.now(UTC) - silent_for
    worker = MemoryStateBackend(shared, clock=lambda: then, host=host, pid=4242)
    worker.acquire_lock("sales", NAME, "move_chunk-first-delivery")


def test_a_delivery_silent_past_the_chunk_bound_is_taken_over_at_once():
    shared = MemoryState()
    _holder(shared, silent_for=BOUND + timedelta(seconds=30))  # far under the 10-minute rule
    taker = MemoryStateBackend(shared, host="worker-b")

    with chunk_delivery(taker, TASK, "all", "move_chunk-again", wait_seconds=0, stale_after=BOUND):
        held = taker.get_lock("sales", NAME)
        assert held is not None and held.owner.startswith("move_chunk-again")

    assert taker.get_lock("sales", NAME) is None  # let go after the chunk


def test_a_delivery_inside_the_bound_is_waited_for_and_not_taken():
    shared = MemoryState()
    _holder(shared, silent_for=BOUND - timedelta(seconds=30))
    taker = MemoryStateBackend(shared, host="worker-b")

    with (
        pytest.raises(EntityLockedError, match="another delivery of this chunk"),
        chunk_delivery(taker, TASK, "all", "move_chunk-again", wait_seconds=0, stale_after=BOUND),
    ):
        pytest.fail("entered a chunk another delivery is moving")

    assert taker.get_lock("sales", NAME).owner == "move_chunk-first-delivery"


def test_a_live_process_of_this_host_is_never_taken_over_however_silent():
    shared = MemoryState()
    _holder(shared, silent_for=timedelta(hours=1), host="this-host")
    taker = MemoryStateBackend(shared, host="this-host", alive=lambda pid: True)

    with (
        pytest.raises(EntityLockedError),
        chunk_delivery(taker, TASK, "all", "move_chunk-again", wait_seconds=0, stale_after=BOUND),
    ):
        pytest.fail("took a live local delivery's lock")


def test_the_lock_beats_four_times_per_bound(monkeypatch):
    seen: list[timedelta] = []
    real = deliveries.Heartbeat

    def spy(state, flow, entity, owner, interval):
        seen.append(interval)
        return real(state, flow, entity, owner, interval)

    monkeypatch.setattr(deliveries, "Heartbeat", spy)
    state = MemoryStateBackend()
    with chunk_delivery(state, TASK, "all", "move_chunk-x", wait_seconds=0, stale_after=BOUND):
        pass

    assert seen == [BOUND / 4]


def test_the_bound_stays_inside_the_function_timeout():
    host = json.loads((Path(__file__).parents[2] / "host.json").read_text())
    hours, minutes, seconds = (int(part) for part in host["functionTimeout"].split(":"))
    timeout = timedelta(hours=hours, minutes=minutes, seconds=seconds)
    longest = delivery_stale_after(CHUNK_SECONDS_RANGE[1])

    assert longest < timeout
    assert delivery_stale_after(300) == timedelta(seconds=360)
    assert re.fullmatch(r"\d\d:\d\d:\d\d", host["functionTimeout"])
