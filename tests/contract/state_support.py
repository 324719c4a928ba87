"""Clock, process table, hosts and factories shared by the StateBackend contract's parts."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from hygge.state.base import StateBackend

STALE_AFTER = timedelta(minutes=10)
T0 = datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
HERE, FAR = "here", "far"
LIVE = frozenset({100, 200})
GONE = 300

OpenBackend = Callable[[str, int], StateBackend]
CrashWrite = Callable[[], contextlib.AbstractContextManager[None]]


class FakeClock:
    """A clock that only moves when a test moves it."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Processes:
    """A process table: which pids are running."""

    def __init__(self) -> None:
        self.live = set(LIVE)

    def alive(self, pid: int) -> bool:
        return pid in self.live
