"""Keep an entity's lock fresh while its run works: a daemon thread refreshing the heartbeat.

A run that reads or writes for longer than the stale timeout would otherwise look dead to other
hosts and be taken over. `Heartbeat` refreshes the lock every `interval` in the background;
when a refresh says the lock is lost (taken over, or removed) it stops and records why, and the
run asks `raise_if_lost()` at its fencing points (before a checkpoint or a publish).
"""

from __future__ import annotations

import logging
import threading
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

    def __enter__(self) -> Heartbeat:
        self._thread = threading.Thread(
            target=self._run, name=f"hygge-heartbeat-{self.flow}.{self.entity}", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
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
        return self._thread is not None and self._thread.is_alive()

    def raise_if_lost(self) -> None:
        """Raise why the lock was lost, if it was: the run must stop before it writes more."""
        if self.lost is not None:
            raise self.lost

    def _run(self) -> None:
        seconds = self.interval.total_seconds()
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
