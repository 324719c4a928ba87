"""One writer per entity: lock files under `locks/<flow>/<entity>.lock`.

A lock file records who holds the entity (LockInfo JSON). Every change to it (create, take
over, refresh, release, removal by `hygge unlock`) happens while holding an OS advisory lock on
a sibling `.mutex` file. The OS drops that advisory lock when its process dies, so it never goes
stale itself, and inside it read-decide-write cannot race: of several runs taking over one stale
lock exactly one wins, and a holder's refresh never interleaves with a takeover. The lock file
is always published atomically, so readers outside the mutex (`hygge list`) never see half of
one. When a holder counts as gone is decided in `hygge.state.lock_rules`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import ValidationError

from hygge.errors import EntityLockedError, StateError
from hygge.state.atomic import (
    ensure_dir,
    is_torn,
    read_or_none,
    remove_durably,
    torn_bytes,
    write_atomic,
)
from hygge.state.base import LockInfo
from hygge.state.clock import Clock, as_utc
from hygge.state.lock_rules import (
    PidAlive,
    describe_holder,
    format_age,
    refuse_unlock,
    stale_reason,
    this_boot,
    unlock_command,
)
from hygge.wording import counted

MUTEX_WAIT = 30.0  # seconds a lock or checkpoint mutex is waited for before the run fails

if sys.platform == "win32":
    import msvcrt
else:
    import fcntl

log = logging.getLogger(__name__)

FRESH_SHARE = 20
"""A refresh within `stale_after / FRESH_SHARE` of this process's last one writes nothing."""


class EntityLocks:
    """Takes, refreshes, releases and removes entity lock files on behalf of one process."""

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
        self._pid = pid  # None: whatever process we run in (a fork gets its own)
        self._alive = alive  # None: ask this host's process table
        self.clock = clock
        self.stale_after = stale_after

    def acquire(self, path: Path, flow: str, entity: str, owner: str) -> LockInfo:
        """Take the lock for `owner`, re-take it idempotently, or take over a stale one."""
        with _mutex(path):
            now = as_utc(self.clock())
            held = read_lock(path, flow, entity)
            if held is None:
                info = self._info(owner, acquired_at=now, now=now)
                # Unsynced (no fsync of the file nor its folder): a power cut that loses the
                # lock, or tears it, stops its holder too; a torn one reads as no lock, and
                # one that survives names the boot before it: stale (`release`).
                data = _encode(info)
                # A file there read as None: torn, what a power cut left of an earlier lock.
                published = write_atomic(path, data, overwrite=False, synced=False)
                if not published and _torn(path):
                    published = write_atomic(path, data, synced=False)
                if not published:
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
                self._take_over(flow, entity, held, now)
                acquired_at = now
            info = self._info(owner, acquired_at=acquired_at, now=now)
            write_atomic(path, _encode(info), synced=False)  # unsynced: as a new lock's
            return info

    def refresh(self, path: Path, flow: str, entity: str, owner: str) -> LockInfo:
        """Move the heartbeat forward (recording this process as the holder); raise if lost.

        A lock this process wrote moments ago is only read, outside the mutex (a fence at every
        step boundary): it is published whole, and nobody may take it over while it is fresh.
        Not on Windows, where a file open for reading cannot be replaced (the heartbeat thread
        may be replacing it just then).
        """
        held = read_lock(path, flow, entity) if sys.platform != "win32" else None
        if held is not None and held.owner == owner and self._fresh(held, as_utc(self.clock())):
            return held
        with _mutex(path):
            now = as_utc(self.clock())
            held = read_lock(path, flow, entity)
            if held is None:
                raise lock_gone_error(flow, entity, owner)
            if held.owner != owner:
                raise taken_over_error(flow, entity, owner, held)
            if self._fresh(held, now):
                return held  # fenced: still ours, and this process moved the heartbeat moments ago
            info = self._info(owner, acquired_at=as_utc(held.acquired_at), now=now)
            write_atomic(path, _encode(info), synced=False)  # unsynced: as a new lock's
            return info

    def release(self, path: Path, flow: str, entity: str, owner: str) -> bool:
        """Remove the lock if `owner` holds it; True when removed."""
        with _mutex(path):
            held = read_lock(path, flow, entity)
            if held is None:
                return False
            if held.owner != owner:
                log.warning(
                    "not releasing the lock of %s.%s: it is held by run %s, not by run %s",
                    flow,
                    entity,
                    held.owner,
                    owner,
                )
                return False
            # A lock that names its boot is removed unsynced: should a power cut bring it
            # back, it names the boot before, so the next run takes it over whatever process
            # has its pid after the reboot (`stale_reason`). One without (an older hygge's,
            # a system without boot ids) is removed synced: back from the dead, its pid could
            # be a live process of the new boot, and would block the entity.
            return remove_durably(path, synced=held.boot is None)

    def remove(
        self, path: Path, flow: str, entity: str, *, force: bool, holder: str | None
    ) -> LockInfo | None:
        """`hygge unlock`: remove a lock whose holder is gone; the removed holder, None if none.

        EntityLockedError while the holder may be alive (see `unlock_refusal`) or when the lock
        is no longer held by run `holder` (it changed hands since the user looked). A corrupt
        lock file is removed only with `force`.
        """
        with _mutex(path):
            try:
                held = read_lock(path, flow, entity)
            except StateError:
                if not force:
                    raise
                remove_durably(path)
                return None
            if held is None:
                return None
            refuse_unlock(
                held,
                as_utc(self.clock()),
                holder=holder,
                flow=flow,
                entity=entity,
                host=self.host,
                stale_after=self.stale_after,
                force=force,
                alive=self._alive,
            )
            remove_durably(path)
            return held

    def _fresh(self, held: LockInfo, now: datetime) -> bool:
        """True when this process wrote `held` less than `stale_after / FRESH_SHARE` ago.

        A fence then only has to check the owner: the lock cannot turn stale for far longer than
        any step takes, and rewriting it (two fsyncs) at every step boundary would cost more
        than the step itself for small entities.
        """
        age = now - as_utc(held.heartbeat_at)
        return (
            held.host == self.host
            and held.pid == self.pid
            and timedelta(0) <= age < self.stale_after / FRESH_SHARE
        )

    @property
    def pid(self) -> int:
        return os.getpid() if self._pid is None else self._pid

    def _info(self, owner: str, *, acquired_at: datetime, now: datetime) -> LockInfo:
        return LockInfo(
            owner=owner,
            host=self.host,
            pid=self.pid,
            acquired_at=acquired_at,
            heartbeat_at=now,
            boot=this_boot(),
        )

    def _take_over(self, flow: str, entity: str, held: LockInfo, now: datetime) -> None:
        """Raise EntityLockedError if the holder is alive; otherwise log the takeover."""
        reason = stale_reason(
            held, now, host=self.host, stale_after=self.stale_after, alive=self._alive
        )
        if reason is None:
            raise EntityLockedError(describe_holder(flow, entity, held, now, self.host))
        log_takeover(flow, entity, held, now, reason)


def log_takeover(flow: str, entity: str, held: LockInfo, now: datetime, reason: str) -> None:
    log.warning(
        "taking over the stale lock of %s.%s held by run %s (pid %s on host %s, "
        "heartbeat %s ago): %s",
        flow,
        entity,
        held.owner,
        held.pid,
        held.host,
        format_age(now - as_utc(held.heartbeat_at)),
        reason,
    )


def lock_gone_error(flow: str, entity: str, owner: str) -> EntityLockedError:
    """Fencing: a holder's refresh found no lock (removed while the run worked)."""
    return EntityLockedError(
        f"the lock of {flow}.{entity} held by run {owner} is gone: it was removed (by "
        "`hygge unlock --force`, or by hand) while the run was working. This run must stop "
        "before it changes anything more; the next `hygge go` continues the entity."
    )


def taken_over_error(flow: str, entity: str, owner: str, held: LockInfo) -> EntityLockedError:
    """Fencing: `owner` refreshed a lock that another run took over."""
    return EntityLockedError(
        f"run {owner} no longer holds the lock of {flow}.{entity}: it was taken over by "
        f"run {held.owner} (pid {held.pid} on host {held.host}). This run must "
        "stop; the run holding the lock now decides what is published."
    )


def read_lock(path: Path, flow: str, entity: str) -> LockInfo | None:
    """The lock file's holder, None when unlocked; StateError when the file is unreadable."""
    raw = read_or_none(path)
    if raw is None and path.is_symlink():  # a new lock never replaces a name, not even a link
        raise StateError(
            f"lock file {path} of {flow}.{entity} is a symbolic link to {path.readlink()}, "
            "which does not exist; hygge writes its locks as plain files, so it can neither "
            f"read nor take this one. If no run of {flow}.{entity} is active, remove it with "
            f"`{unlock_command(flow, entity)} --force`."
        )
    if raw is None:
        return None
    if is_torn(raw):  # torn: a power cut took its holder down with it
        log.warning(
            "%s.%s: the lock file %s is torn by a power cut (%s); its holder went down "
            "with the machine, so the lock is free",
            flow, entity, path, torn_bytes(raw),
        )  # fmt: skip
        return None
    try:
        return LockInfo.model_validate_json(raw)
    except ValidationError as error:
        if path.is_symlink():
            raise _linked(path, flow, entity) from error
        raise StateError(
            f"lock file {path} of {flow}.{entity} is corrupt "
            f"({counted(error.error_count(), 'problem')}, first: {error.errors()[0]['msg']}). "
            f"If no run of {flow}.{entity} is active, remove it with "
            f"`{unlock_command(flow, entity)} --force`."
        ) from error


def _linked(path: Path, flow: str, entity: str) -> StateError:
    """A lock name that is a link to a file that is not a lock: named as the link it is."""
    return StateError(
        f"lock file {path} of {flow}.{entity} is a symbolic link to {path.readlink()} "
        f"({path.resolve()}), a file that is not a hygge lock; hygge writes its locks as "
        "plain files and never writes through a link, so it will not take this one. If no "
        f"run of {flow}.{entity} is active, remove the link with "
        f"`{unlock_command(flow, entity)} --force` (only the link is removed; the file it "
        "points to is left as it is)."
    )


def _torn(path: Path) -> bool:
    raw = read_or_none(path)
    return raw is not None and is_torn(raw)


def _encode(info: LockInfo) -> bytes:
    return info.model_dump_json(indent=2).encode()


def file_mutex(path: Path) -> contextlib.AbstractContextManager[None]:
    """The OS advisory lock on `<path>.mutex` (a sibling file) that serialises changes to
    `path` across the processes and threads of this host."""
    return _mutex(path)


@contextmanager
def _mutex(path: Path) -> Iterator[None]:
    """Hold the OS advisory lock that serialises every change to `path`."""
    mutex = path.with_name(f"{path.name}.mutex")
    try:
        ensure_dir(mutex.parent)
        # O_NOFOLLOW: a link in place of the mutex (dangling or not) is refused, never
        # followed, so hygge creates nothing outside its state folder through it.
        fd = os.open(mutex, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    except OSError as error:
        if mutex.is_symlink():
            raise StateError(
                f"{mutex} is a symbolic link (to {mutex.readlink()}), not hygge's lock mutex: "
                "hygge does not follow links in its state folder. Remove the link "
                f"(rm '{mutex}') and run again; hygge makes the file itself."
            ) from error
        raise StateError(
            f"cannot open lock mutex {mutex}: {error.strerror or error}. "
            "Check that the state folder is writable."
        ) from error
    try:
        _lock_fd(fd, mutex)
        try:
            yield
        finally:
            _unlock_fd(fd)
    finally:
        os.close(fd)


def _lock_fd(fd: int, mutex: Path) -> None:
    """Take the mutex, waiting MUTEX_WAIT seconds at most: it is held for one small write, so
    a holder that keeps it longer is stopped or hung, and waiting on would hang this run too."""
    if sys.platform == "win32":
        msvcrt.locking(fd, msvcrt.LK_LOCK, 1)  # retries for 10 s, then OSError
        return
    deadline, pause = time.monotonic() + MUTEX_WAIT, 0.0005
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise StateError(
                    f"the lock mutex {mutex} has been held by another process for "
                    f"{MUTEX_WAIT:.0f} s; it is held only while one small state file is "
                    "written, so that process is stopped or hung. Find it (`fuser` or "
                    "`lsof` on the file), let it continue or end it, then run again"
                ) from None
            time.sleep(pause)
            pause = min(pause * 2, 0.01)


def _unlock_fd(fd: int) -> None:
    if sys.platform == "win32":
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
