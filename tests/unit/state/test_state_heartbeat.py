"""Heartbeat: a run's lock stays fresh while it works, and a lost lock is reported, not raised."""

from __future__ import annotations

import logging
import os
import threading
from datetime import timedelta

import pytest

from hygge.errors import EntityLockedError
from hygge.state.heartbeat import Heartbeat
from hygge.state.local import LocalStateBackend

STALE_AFTER = timedelta(seconds=1)
TICK = timedelta(milliseconds=1)  # real time between beats; the gate below sets the pace
WAIT = 30.0  # seconds a test waits for the heartbeat thread before it gives up (never reached)


class SteppedState:
    """Passes refreshes to a backend one at a time, each when the test lets it through."""

    def __init__(self, backend: LocalStateBackend, faults: list[Exception] | None = None) -> None:
        self.backend = backend
        self.faults = list(faults or [])
        self.closed = False
        self._go = threading.Semaphore(0)
        self._done = threading.Semaphore(0)

    def refresh_lock(self, flow: str, entity: str, owner: str) -> None:
        while not self._go.acquire(timeout=0.01):
            if self.closed:
                return
        try:
            if self.faults:
                raise self.faults.pop(0)
            self.backend.refresh_lock(flow, entity, owner)
        finally:
            self._done.release()

    def beat(self) -> None:
        """Let one refresh through and wait until it has happened."""
        self._go.release()
        assert self._done.acquire(timeout=WAIT), "the heartbeat thread never refreshed"

    def close(self) -> None:
        """Let every later refresh return at once, so the heartbeat can stop."""
        self.closed = True


@pytest.fixture
def holder(state_dir, clock) -> LocalStateBackend:
    backend = LocalStateBackend(
        state_dir, clock=clock, host="here", pid=os.getpid(), stale_after=STALE_AFTER
    )
    backend.acquire_lock("orders", "customers", "run-a")
    return backend


@pytest.fixture
def rival(state_dir, clock) -> LocalStateBackend:
    """A run on another host: it judges the holder by its heartbeat alone."""
    return LocalStateBackend(state_dir, clock=clock, host="far", pid=1, stale_after=STALE_AFTER)


def test_heartbeating_holder_keeps_its_lock_far_beyond_the_stale_timeout(holder, rival, clock):
    stepped = SteppedState(holder)
    with Heartbeat(stepped, "orders", "customers", "run-a", TICK) as heartbeat:
        for _ in range(20):  # 18 seconds of clock time against a 1-second stale timeout
            clock.advance(milliseconds=900)
            stepped.beat()
            with pytest.raises(EntityLockedError, match="being moved by run run-a"):
                rival.acquire_lock("orders", "customers", "run-b")
        assert heartbeat.beats == 20
        stepped.close()

    assert heartbeat.lost is None
    heartbeat.raise_if_lost()
    assert holder.list_locks()["orders.customers"].owner == "run-a"


def test_without_a_heartbeat_the_same_wait_loses_the_lock(holder, rival, clock):
    clock.advance(milliseconds=1800)

    assert rival.acquire_lock("orders", "customers", "run-b").owner == "run-b"


def test_lock_taken_over_is_recorded_in_lost_and_the_heartbeat_stops(holder, rival, clock):
    stepped = SteppedState(holder)
    with Heartbeat(stepped, "orders", "customers", "run-a", TICK) as heartbeat:
        clock.advance(seconds=2)
        rival.acquire_lock("orders", "customers", "run-b")
        stepped.beat()  # this refresh finds run-b holding the lock
    assert not heartbeat.running

    assert isinstance(heartbeat.lost, EntityLockedError)
    with pytest.raises(EntityLockedError, match=r"run run-a no longer holds .* run run-b"):
        heartbeat.raise_if_lost()
    assert holder.list_locks()["orders.customers"].owner == "run-b"


def test_lock_file_removed_is_recorded_as_a_lost_lock(holder):
    stepped = SteppedState(holder)
    with Heartbeat(stepped, "orders", "customers", "run-a", TICK) as heartbeat:
        holder.lock_path("orders", "customers").unlink()
        stepped.beat()

    assert isinstance(heartbeat.lost, EntityLockedError)
    assert "is gone" in str(heartbeat.lost)


def test_a_passing_fault_is_logged_and_the_next_beat_refreshes(holder, clock, caplog):
    stepped = SteppedState(holder, faults=[OSError("network blip")])
    with (
        caplog.at_level(logging.WARNING, logger="hygge.state.heartbeat"),
        Heartbeat(stepped, "orders", "customers", "run-a", TICK) as heartbeat,
    ):
        stepped.beat()  # fails
        clock.advance(seconds=5)
        stepped.beat()  # refreshes
        assert heartbeat.beats == 1
        stepped.close()

    assert heartbeat.lost is None
    assert holder.list_locks()["orders.customers"].heartbeat_at == clock.now
    assert "network blip" in caplog.text


def test_leaving_the_block_stops_the_thread(holder):
    with Heartbeat(holder, "orders", "customers", "run-a", TICK) as heartbeat:
        assert heartbeat.running

    assert not heartbeat.running
    assert heartbeat.lost is None


def test_interval_must_be_positive(holder):
    with pytest.raises(ValueError, match="must be positive"):
        Heartbeat(holder, "orders", "customers", "run-a", timedelta(0))
