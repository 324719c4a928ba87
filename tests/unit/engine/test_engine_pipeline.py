"""Prefetch: the reader thread runs ahead of the consumer, and closing never hangs on it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import pytest

from hygge.engine.pipeline import Prefetch


def test_items_arrive_in_order_and_the_reader_stops_at_the_end():
    with Prefetch(lambda: iter(range(5)), depth=2, name="shop.orders") as prefetch:
        assert list(prefetch) == [0, 1, 2, 3, 4]


def test_a_reader_error_reaches_the_consumer():
    def failing() -> Iterator[int]:
        yield 1
        raise ValueError("home went away")

    prefetch = Prefetch(failing, depth=1, name="shop.orders")
    with pytest.raises(ValueError, match="home went away"), prefetch:
        list(prefetch)


def test_close_does_not_wait_forever_for_a_reader_stuck_in_a_read(caplog):
    release = threading.Event()
    finished = threading.Event()

    def stuck() -> Iterator[int]:
        try:
            release.wait()  # a read that never returns (a hung network share)
            yield 1
        finally:
            finished.set()

    caplog.set_level(logging.WARNING, logger="hygge.engine")
    try:
        with Prefetch(stuck, depth=1, name="shop.orders", stop_timeout=0.05):
            pass  # leaving early closes it: it must return although the reader is stuck
        [record] = [r for r in caplog.records if "shop.orders" in r.getMessage()]
        assert record.levelno == logging.WARNING
        assert "reader" in record.getMessage()
        assert not finished.is_set()
    finally:
        release.set()
    assert finished.wait(timeout=10)  # released, the daemon reader ends by itself


def _taken(prefetch: Prefetch[int], count: int) -> list[int]:
    items = iter(prefetch)
    return [next(items) for _ in range(count)]


def test_ended_after_the_last_item_is_taken_waits_for_the_readers_end():
    with Prefetch(lambda: iter(range(3)), depth=1, name="shop.orders") as prefetch:
        assert _taken(prefetch, 3) == [0, 1, 2]
        assert prefetch.ended()


def test_not_ended_while_items_are_left():
    with Prefetch(lambda: iter(range(3)), depth=1, name="shop.orders") as prefetch:
        assert _taken(prefetch, 2) == [0, 1]
        assert not prefetch.ended()


def test_not_ended_when_the_next_read_fails():
    def failing() -> Iterator[int]:
        yield 1
        raise ValueError("home went away")

    with Prefetch(failing, depth=1, name="shop.orders") as prefetch:
        assert _taken(prefetch, 1) == [1]
        assert not prefetch.ended()  # the chunk stops there; the next one reads on


def test_ended_gives_up_on_a_stuck_reader_within_the_stop_timeout(caplog):
    release = threading.Event()

    def stuck() -> Iterator[int]:
        yield 1
        release.wait()  # the next read never returns
        yield 2

    caplog.set_level(logging.WARNING, logger="hygge.engine")
    try:
        with Prefetch(stuck, depth=1, name="shop.orders", stop_timeout=0.05) as prefetch:
            assert _taken(prefetch, 1) == [1]
            assert not prefetch.ended()
    finally:
        release.set()
