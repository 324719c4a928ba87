"""One writer per entity: lock files under `locks/<flow>/<entity>.lock`.

A lock file records who holds the entity (LockInfo JSON). Every change to it (create, take
over, refresh, release) happens while holding an OS advisory lock on a sibling `.mutex` file.
The OS drops that advisory lock when its process dies, so it never goes stale itself, and
inside it read-decide-write cannot race: of several runs taking over one stale lock exactly
one wins, and a holder's refresh never interleaves with a takeover. The lock file is always
published atomically, so readers outside the mutex (`hygge list`) never see half of one.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import ValidationError

from hygge.errors import EntityLockedError, StateError
from hygge.state.atomic import ensure_dir, read_or_none, remove_durably, write_atomic
from hygge.state.base import LockInfo
from hygge.state.clock import Clock, as_utc
from hygge.wording import counted

if sys.platform == "win32":
    import msvcrt
else:
    import fcntl

log = logging.getLogger(__name__)

PidAlive = Callable[[int], bool]  # whether a pid exists on this host


class EntityLocks:
    """Takes, refreshes and releases entity lock files on behalf of one process."""

    def __init__(
        self,
        *,
        host: str,
        pid: int | None,
        clock: Clock,
        stale_after: timedelta,
        alive: PidAlive | None = None,
    ) -> None:
        self.host = host
        self._alive = alive  # None: ask this host's process table
        self._pid = pid  # None: whatever process we run in (a fork gets its own)
        self.clock = clock
        self.stale_after = stale_after

    def acquire(self, path: Path, label: str, owner: str) -> LockInfo:
        """Take the lock for `owner`, re-take it idempotently, or take over a stale one."""
        with _mutex(path):
            now = as_utc(self.clock())
            held = read_lock(path, label)
            if held is None:
                info = self._info(owner, acquired_at=now, now=now)
                if not write_atomic(path, _encode(info), overwrite=False):
                    raise StateError(
                        f"lock file {path} appeared while run {owner} held its mutex: file "
                        "locking does not work in this state folder (a network share?). "
                        "Keep the state folder on a local disk."
                    )
                return info
            if held.owner == owner:
                # A resumed run, perhaps in another process: record where it runs now.
                acquired_at = as_utc(held.acquired_at)
            else:
                self._take_over(path, label, held, now)
                acquired_at = now
            info = self._info(owner, acquired_at=acquired_at, now=now)
            write_atomic(path, _encode(info))
            return info

    def refresh(self, path: Path, label: str, owner: str) -> LockInfo:
        """Move the heartbeat forward (recording this process as the holder); raise if lost."""
        with _mutex(path):
            now = as_utc(self.clock())
            held = read_lock(path, label)
            if held is None:
                raise StateError(
                    f"the lock of {label} held by run {owner} is gone: {path} was removed "
                    "while the run was moving. Stop this run and start it again."
                )
            if held.owner != owner:
                raise EntityLockedError(
                    f"run {owner} no longer holds the lock of {label}: it was taken over by "
                    f"run {held.owner} (pid {held.pid} on host {held.host}). This run must "
                    "stop; the run holding the lock now decides what is published."
                )
            info = self._info(owner, acquired_at=as_utc(held.acquired_at), now=now)
            write_atomic(path, _encode(info))
            return info

    def release(self, path: Path, label: str, owner: str) -> bool:
        """Remove the lock if `owner` holds it; True when removed."""
        with _mutex(path):
            held = read_lock(path, label)
            if held is None:
                return False
            if held.owner != owner:
                log.warning(
                    "not releasing the lock of %s: it is held by run %s, not by run %s",
                    label,
                    held.owner,
                    owner,
                )
                return False
            return remove_durably(path)

    @property
    def pid(self) -> int:
        return os.getpid() if self._pid is None else self._pid

    def _info(self, owner: str, *, acquired_at: datetime, now: datetime) -> LockInfo:
        return LockInfo(
            owner=owner, host=self.host, pid=self.pid, acquired_at=acquired_at, heartbeat_at=now
        )

    def _take_over(self, path: Path, label: str, held: LockInfo, now: datetime) -> None:
        """Raise EntityLockedError if the holder is alive; otherwise log the takeover."""
        reason = self._stale_reason(held, now)
        if reason is None:
            raise EntityLockedError(describe_holder(label, held, path, now))
        log.warning(
            "taking over the stale lock of %s held by run %s (pid %s on host %s, "
            "heartbeat %s ago): %s",
            label,
            held.owner,
            held.pid,
            held.host,
            format_age(now - as_utc(held.heartbeat_at)),
            reason,
        )

    def _stale_reason(self, held: LockInfo, now: datetime) -> str | None:
        return stale_reason(
            held, now, host=self.host, stale_after=self.stale_after, alive=self._alive
        )


def stale_reason(
    held: LockInfo,
    now: datetime,
    *,
    host: str,
    stale_after: timedelta,
    alive: PidAlive | None = None,
) -> str | None:
    """Why `held` may be taken over from `host`, or None while its holder may be alive.

    On the holder's own host the process table decides: a live pid is never taken over, however
    long its heartbeat has been silent (a paused laptop, a stuck mount). From another host only
    the heartbeat can tell.
    """
    if held.host == host:
        if (alive or pid_alive)(held.pid):
            return None
        return f"process {held.pid} no longer exists on this host"
    silence = now - as_utc(held.heartbeat_at)
    if silence > stale_after:
        return f"no heartbeat for longer than {format_age(stale_after)}"
    return None


def read_lock(path: Path, label: str) -> LockInfo | None:
    """The lock file's holder, None when unlocked; StateError when the file is unreadable."""
    raw = read_or_none(path)
    if raw is None:
        return None
    try:
        return LockInfo.model_validate_json(raw)
    except ValidationError as error:
        raise StateError(
            f"lock file {path} of {label} is corrupt ({counted(error.error_count(), 'problem')}, "
            f"first: {error.errors()[0]['msg']}). If no run of {label} is active, delete it."
        ) from error


def describe_holder(label: str, held: LockInfo, path: Path, now: datetime) -> str:
    """The message for a run that finds the entity locked: who holds it and what to do."""
    return (
        f"{label} is being moved by run {held.owner} (pid {held.pid} on host {held.host}, "
        f"heartbeat {format_age(now - as_utc(held.heartbeat_at))} ago). Wait for it to finish, "
        f"or if that process is gone, remove {path}"
    )


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this host (True when it cannot be known)."""
    if pid <= 0 or sys.platform == "win32":
        return True  # os.kill(pid, 0) would terminate the process on Windows
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    return True


def format_age(age: timedelta) -> str:
    """A short human duration: `12s`, `3m 4s`, `2h 5m`, `3d 4h`."""
    seconds = max(0, int(age.total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {seconds}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h"


def _encode(info: LockInfo) -> bytes:
    return info.model_dump_json(indent=2).encode()


@contextmanager
def _mutex(path: Path) -> Iterator[None]:
    """Hold the OS advisory lock that serialises every change to `path`."""
    mutex = path.with_name(f"{path.name}.mutex")
    try:
        ensure_dir(mutex.parent)
        fd = os.open(mutex, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise StateError(
            f"cannot open lock mutex {mutex}: {error.strerror or error}. "
            "Check that the state folder is writable."
        ) from error
    try:
        _lock_fd(fd)
        try:
            yield
        finally:
            _unlock_fd(fd)
    finally:
        os.close(fd)


def _lock_fd(fd: int) -> None:
    if sys.platform == "win32":
        msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
    else:
        fcntl.flock(fd, fcntl.LOCK_EX)


def _unlock_fd(fd: int) -> None:
    if sys.platform == "win32":
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
