"""Open PostgreSQL sessions kept between the reads of a process: the chunks of an entity run
(and the entities after it) reuse one connection instead of opening one per read.

A connection costs ~0.15 s to open here (SCRAM authentication, the driver's type catalog),
four per 2M rows before. A read takes an idle session of its connection (or opens one) and
gives it back when it ends; one in use is never shared. A session given back is rolled back
first (a read stopped mid-stream is cancelled, not drained): one that cannot be is closed.
One taken back is checked with `SELECT 1`: a dead one (a restarted server, a dropped idle
connection) is closed and another opened, as is one whose type catalog (ADBC reads it at
connect) lacks a type a source's column has (created since). Idle sessions are closed after
`IDLE_SECONDS` and when the process exits."""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Callable, Hashable, Iterator, Sequence
from typing import Protocol

import polars as pl

from hygge.homes.sql.drivers import SqlSchema

log = logging.getLogger("hygge.homes")

IDLE_SECONDS = 30.0


class Reusable(Protocol):
    """A driver session that can be handed from one read to the next."""

    stale: bool  # its last `columns` met a type created after it connected (ADBC's catalog)

    def columns(self, sql: str, params: Sequence[object]) -> SqlSchema: ...

    def first(self, sql: str, params: Sequence[object]) -> tuple[object, ...] | None: ...

    def stream(
        self, sql: str, params: Sequence[object], batch_size: int
    ) -> Iterator[pl.DataFrame]: ...

    def reset(self) -> None:
        """End whatever the last read left open (a cancelled statement, its transaction)."""
        ...

    def close(self) -> None: ...


class SessionPool:
    """Idle sessions by connection key; thread-safe, each session used by one read at once."""

    def __init__(self, idle_seconds: float = IDLE_SECONDS) -> None:
        self.idle_seconds = idle_seconds
        self._idle: dict[Hashable, list[tuple[float, Reusable]]] = {}
        self._lock = threading.Lock()
        self._reaper: threading.Timer | None = None
        self._pid = os.getpid()

    def take(self, key: Hashable, open_session: Callable[[], Reusable]) -> PooledSession:
        """An idle session of `key` that answers, else a new one."""
        while True:
            session = self._pop(key)
            if session is None:
                return PooledSession(self, key, open_session(), open_session, fresh=True)
            try:
                if session.first("SELECT 1", []) is not None:
                    return PooledSession(self, key, session, open_session, fresh=False)
            except Exception as exc:  # gone while idle: open another
                log.debug("an idle SQL session no longer answers: %s", exc)
            _close(session)

    def give(self, key: Hashable, session: Reusable) -> None:
        """Keep `session` for the next read of `key`, or close it if it cannot be reset."""
        if session.stale:
            _close(session)
            return
        try:
            session.reset()
        except Exception as exc:  # a lost connection cannot be reset: it is not kept
            log.debug("a SQL session could not be reset, closing it: %s", exc)
            _close(session)
            return
        with self._lock:
            self._idle.setdefault(key, []).append((time.monotonic(), session))
            if self._reaper is None:
                self._reaper = threading.Timer(self.idle_seconds, self._expire)
                self._reaper.daemon = True
                self._reaper.start()

    def idle(self, key: Hashable) -> int:
        """How many sessions of `key` wait to be reused."""
        with self._lock:
            return len(self._idle.get(key, []))

    def close_all(self) -> None:
        """Close every idle session (at exit)."""
        with self._lock:
            sessions = [s for held in self._idle.values() for _, s in held]
            self._idle.clear()
        for session in sessions:
            _close(session)

    def _pop(self, key: Hashable) -> Reusable | None:
        with self._lock:
            if self._pid != os.getpid():  # a forked child: the parent's sessions are its own
                self._idle, self._pid = {}, os.getpid()
            held = self._idle.get(key)
            return held.pop()[1] if held else None

    def _expire(self) -> None:
        """Close the sessions idle for `idle_seconds`; come back while any are left."""
        cutoff = time.monotonic() - self.idle_seconds
        with self._lock:
            self._reaper = None
            stale = [s for held in self._idle.values() for at, s in held if at <= cutoff]
            for key, held in list(self._idle.items()):
                self._idle[key] = [(at, s) for at, s in held if at > cutoff]
                if not self._idle[key]:
                    del self._idle[key]
            if self._idle:
                self._reaper = threading.Timer(self.idle_seconds, self._expire)
                self._reaper.daemon = True
                self._reaper.start()
        for session in stale:
            _close(session)


class PooledSession:
    """A session taken from a pool for one read; `close` gives it back."""

    def __init__(
        self,
        pool: SessionPool,
        key: Hashable,
        session: Reusable,
        open_session: Callable[[], Reusable],
        *,
        fresh: bool,
    ) -> None:
        self.pool = pool
        self.key = key
        self.session: Reusable | None = session
        self.open_session = open_session
        self.fresh = fresh  # opened for this read, not reused

    def _held(self) -> Reusable:
        if self.session is None:
            raise RuntimeError("a SQL session was used after it was given back")
        return self.session

    def columns(self, sql: str, params: Sequence[object]) -> SqlSchema:
        """The columns; asked again of a new session when a reused one's types are stale."""
        found = self._held().columns(sql, params)
        if self._held().stale and not self.fresh:
            _close(self._held())
            self.session, self.fresh = self.open_session(), True
            found = self.session.columns(sql, params)
        return found

    def first(self, sql: str, params: Sequence[object]) -> tuple[object, ...] | None:
        return self._held().first(sql, params)

    def stream(self, sql: str, params: Sequence[object], batch_size: int) -> Iterator[pl.DataFrame]:
        return self._held().stream(sql, params, batch_size)

    def close(self) -> None:
        """Give the session back (once)."""
        session, self.session = self.session, None
        if session is not None:
            self.pool.give(self.key, session)


def _close(session: Reusable) -> None:
    try:
        session.close()
    except Exception as exc:  # a lost connection cannot be closed twice
        log.debug("closing a SQL session failed: %s", exc)


POOL = SessionPool()
atexit.register(POOL.close_all)
