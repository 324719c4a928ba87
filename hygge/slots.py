"""Concurrency slots: how many entities the local runner moves at once, and a wait that gives
its slot to another entity while it waits.

`hygge go --concurrency N` runs at most N entities at a time, started in plan order. A store
that must wait without working (Open Mirroring's full_drop waits
`folder_deletion_wait_seconds` after clearing a table folder, for Fabric to notice) calls
`idle_wait(seconds)`: its slot goes to the next entity meanwhile, and the wait returns once
the slot is taken back (an entity back from a wait goes before one not yet started). Outside
a runner's slot, `idle_wait` only sleeps.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_HELD: ContextVar[Slots | None] = ContextVar("hygge_slot", default=None)


class Slots:
    """`count` slots handed out in ticket order (0, 1, 2, …): a ticket is served only after
    every lower one was; an entity returning from `idle_wait` is served first."""

    def __init__(self, count: int) -> None:
        self._free = max(1, count)
        self._next = 0  # the ticket served next
        self._returning = 0  # entities back from an idle wait, waiting for a slot
        self._changed = threading.Condition()

    @contextmanager
    def held(self, ticket: int) -> Iterator[None]:
        """Wait for a slot for `ticket`, hold it for the block (idle waits inside it give it up
        meanwhile), then give it back."""
        with self._changed:
            while ticket != self._next or self._free == 0 or self._returning:
                self._changed.wait()
            self._next += 1
            self._free -= 1
            self._changed.notify_all()
        token = _HELD.set(self)
        try:
            yield
        finally:
            _HELD.reset(token)
            self._give()

    def _give(self) -> None:
        with self._changed:
            self._free += 1
            self._changed.notify_all()

    def _take_back(self) -> None:
        with self._changed:
            self._returning += 1
            try:
                while self._free == 0:
                    self._changed.wait()
                self._free -= 1
            finally:
                self._returning -= 1
                self._changed.notify_all()


def idle_wait(seconds: float, *, sleep: Callable[[float], None] | None = None) -> None:
    """Wait `seconds` without holding the runner's slot (see the module docstring)."""
    sleep = sleep or time.sleep
    slots = _HELD.get()
    if slots is None or seconds <= 0:
        sleep(max(seconds, 0.0))
        return
    slots._give()
    try:
        sleep(seconds)
    finally:
        slots._take_back()
