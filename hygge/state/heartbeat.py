"""Keep an entity's lock fresh while its run works: a daemon thread refreshing the heartbeat.

A run that reads or writes for longer than the stale timeout would otherwise look dead to other
hosts and be taken over. `Heartbeat` refreshes the lock every `interval` in the background;
when a refresh says the lock is lost (taken over, or removed) it stops and records why, and the
run asks `raise_if_lost()` at its fencing points (before a checkpoint or a publish).

Most steps end long before their first beat is due, so a heartbeat's own thread starts only
then: one shared waiter (`_Starter`) starts the threads of the heartbeats whose first beat
has come, and a step shorter than the interval starts no thread at all.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from datetime import timedelta
from types import TracebackType
from typing import Protocol

from hygge.errors import EntityLockedError, HyggeError, StateError

log = logging.getLogger(__name__)

JOIN_TIMEOUT = 5.0  # seconds `__exit__` waits for a refresh in flight; the thread is a daemon


class LockRefresher(Protocol):
    """The part of a StateBackend a heartbeat uses."""

    def refresh_lock(self, flow: str, entity: str, owner: str) -> None: ...


def heartbeat_interval(state: object, default: timedelta) -> timedelta:
    """How often to refresh `state`'s locks: `default`, or sooner where its locks lapse sooner
    unrenewed (a blob lease says so with `renew_every`)."""
    sooner = getattr(state, "renew_every", None)
    return min(default, sooner) if isinstance(sooner, timedelta) else default


class Heartbeat:
    """While entered, refresh `owner`'s lock of `flow.entity` every `interval`."""

    def __init__(
        self,
        state: LockRefresher,
        flow: str,
        entity: str,
        owner: str,
        interval: timedelta,
    ) -> None:
        if interval <= timedelta(0):
            raise ValueError(f"heartbeat interval must be positive, not {interval}")
        self.state = state
        self.flow = flow
        self.entity = entity
        self.owner = owner
        self.interval = interval
        self.lost: HyggeError | None = None  # why the lock was lost; None while held
        self.beats = 0  # refreshes that succeeded
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._entered = False

    def __enter__(self) -> Heartbeat:
        self._entered = True
        _STARTER.add(self, time.monotonic() + self.interval.total_seconds())
        return self

    def _start(self) -> None:
        """The first beat is due: from now on the heartbeat's own thread beats (called by
        the starter, under its lock, only while the heartbeat is entered)."""
        self._thread = threading.Thread(
            target=self._run, name=f"hygge-heartbeat-{self.flow}.{self.entity}", daemon=True
        )
        self._thread.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        _STARTER.discard(self)  # after this, the starter never starts its thread
        if self._thread is not None:
            self._thread.join(JOIN_TIMEOUT)
            if self._thread.is_alive():
                log.warning(
                    "the heartbeat of %s.%s did not stop within %ss (a refresh is hanging); "
                    "leaving it to end with the process",
                    self.flow,
                    self.entity,
                    JOIN_TIMEOUT,
                )

    @property
    def running(self) -> bool:
        """Whether it still beats: entered and not stopped (its thread started or not yet)."""
        if self._thread is not None:
            return self._thread.is_alive()
        return self._entered and not self._stop.is_set()

    def raise_if_lost(self) -> None:
        """Raise why the lock was lost, if it was: the run must stop before it writes more."""
        if self.lost is not None:
            raise self.lost

    def _run(self) -> None:
        seconds = self.interval.total_seconds()
        if self._stop.is_set() or not self._beat():  # the first beat is due as it starts
            return
        while not self._stop.wait(seconds):
            if not self._beat():
                return

    def _beat(self) -> bool:
        """One refresh; False when the lock is lost and the heartbeat must stop."""
        try:
            self.state.refresh_lock(self.flow, self.entity, self.owner)
        except (EntityLockedError, StateError) as error:
            self.lost = error
            log.error(
                "run %s lost the lock of %s.%s: %s", self.owner, self.flow, self.entity, error
            )
            return False
        except Exception as error:  # a passing fault: the next beat tries again
            log.warning(
                "could not refresh the lock of %s.%s (trying again in %ss): %r",
                self.flow,
                self.entity,
                self.interval.total_seconds(),
                error,
            )
            return True
        self.beats += 1
        return True


class _Starter:
    """One daemon thread for every heartbeat whose first beat is not due yet: at its due
    time it starts that heartbeat's own thread (a refresh that hangs stalls only its own)."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._due: list[tuple[float, int, Heartbeat]] = []
        self._waiting: set[Heartbeat] = set()  # entered, not yet started nor left
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def add(self, heartbeat: Heartbeat, due: float) -> None:
        with self._lock:
            self._waiting.add(heartbeat)
            heapq.heappush(self._due, (due, next(self._order), heartbeat))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._serve, name="hygge-heartbeat-starter", daemon=True
                )
                self._thread.start()
            self._lock.notify()

    def discard(self, heartbeat: Heartbeat) -> None:
        with self._lock:
            self._waiting.discard(heartbeat)

    def _serve(self) -> None:
        with self._lock:
            while True:
                while self._due and self._due[0][2] not in self._waiting:
                    heapq.heappop(self._due)  # left before its first beat
                if not self._due:
                    self._lock.wait()
                    continue
                due, _, heartbeat = self._due[0]
                wait = due - time.monotonic()
                if wait > 0:
                    self._lock.wait(wait)
                    continue
                heapq.heappop(self._due)
                self._waiting.discard(heartbeat)
                heartbeat._start()


_STARTER = _Starter()
