"""When an entity lock's holder counts as gone, and what to tell the user (every backend).

A lock records its holder's host, pid, boot and last heartbeat. On the holder's own machine the
process table decides: a live pid is never taken over, however long its heartbeat has been silent
(a paused laptop, a stuck mount). From another host (or where the process table cannot be read,
as on Windows) only the heartbeat can tell: silent for longer than the stale timeout means gone.

A lock naming this host's name but another boot is either this machine's from before it last
started (gone, whatever process has its pid now) or another machine's of the same name sharing
the state folder (a cloned VM, a container's fixed hostname on NFS): its heartbeat tells them
apart. One beaten before this boot began is the earlier boot's; a later one is another
machine's, live, and only its heartbeat's silence makes it stale.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hygge.errors import EntityLockedError
from hygge.state.base import LockInfo
from hygge.state.clock import as_utc

PidAlive = Callable[[int], bool | None]  # whether a pid exists on this host; None: unknown
DEFAULT_STALE_AFTER = timedelta(minutes=10)  # another host's silence that counts as gone
BOOT_ID = Path("/proc/sys/kernel/random/boot_id")  # Linux: new at every boot
PROC_STAT = Path("/proc/stat")  # Linux: its `btime` line is when this boot began


@functools.cache
def this_boot() -> str | None:
    """This host's boot id (Linux), None where the system does not tell (read once)."""
    try:
        return BOOT_ID.read_text().strip() or None
    except OSError:
        return None


@functools.cache
def boot_began() -> datetime | None:
    """When this host's current boot began (Linux), None where the system does not tell."""
    try:
        lines = PROC_STAT.read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        name, _, value = line.partition(" ")
        if name == "btime" and value.strip().isdigit():
            return datetime.fromtimestamp(int(value), UTC)
    return None


def same_machine(held: LockInfo, host: str, boot: str | None = None) -> bool:
    """Whether `held` was written on this machine in this boot (as far as it records): its
    host's name is this one's and its boot, where both are known, is this one."""
    current = boot or this_boot()
    return held.host == host and (None in (held.boot, current) or held.boot == current)


def pid_alive(pid: int) -> bool | None:
    """Whether a process with this pid exists on this host; None when it cannot be known."""
    if pid <= 0 or sys.platform == "win32":
        return None  # os.kill(pid, 0) would terminate the process on Windows
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    return True


def stale_reason(
    held: LockInfo,
    now: datetime,
    *,
    host: str,
    stale_after: timedelta,
    alive: PidAlive | None = None,
    boot: str | None = None,
    began: datetime | None = None,
) -> str | None:
    """Why `held` may be taken over from `host`, or None while its holder may be alive.

    `boot`: this host's boot id (None: `this_boot()`), `began`: when it began (None:
    `boot_began()`). A lock of this host's name and another boot whose heartbeat is older than
    this boot is this host's from an earlier boot: gone, even if its pid was given to a process
    of this boot. With a later heartbeat it is another machine's of the same name."""
    if held.host == host and not same_machine(held, host, boot):
        began = began or boot_began()
        if began is not None and as_utc(held.heartbeat_at) < began:
            return f"host {host} restarted since process {held.pid} took the lock"
    mine = same_machine(held, host, boot)
    living = (alive or pid_alive)(held.pid) if mine else None
    if living is not None:
        return None if living else f"process {held.pid} no longer exists on this host"
    # Another host, or a process table this host cannot read: only the heartbeat tells.
    if now - as_utc(held.heartbeat_at) > stale_after:
        return f"no heartbeat for longer than {format_age(stale_after)}"
    return None


def refuse_unlock(
    held: LockInfo,
    now: datetime,
    *,
    holder: str | None,
    flow: str,
    entity: str,
    host: str,
    stale_after: timedelta,
    force: bool,
    alive: PidAlive | None = None,
) -> None:
    """Raise EntityLockedError unless `hygge unlock` may remove `held` now (every backend's
    rule): it must still be `holder`'s (the run the user was shown) and its holder gone."""
    if holder is not None and held.owner != holder:
        raise EntityLockedError(
            f"the lock of {flow}.{entity} changed hands meanwhile: it is held by run "
            f"{held.owner} now, not by run {holder}. Nothing was removed; look again "
            f"with `{unlock_command(flow, entity)}`."
        )
    refusal = unlock_refusal(
        held,
        now,
        flow=flow,
        entity=entity,
        host=host,
        stale_after=stale_after,
        force=force,
        alive=alive,
    )
    if refusal is not None:
        raise EntityLockedError(refusal)


def unlock_refusal(
    held: LockInfo,
    now: datetime,
    *,
    flow: str,
    entity: str,
    host: str,
    stale_after: timedelta,
    force: bool,
    alive: PidAlive | None = None,
) -> str | None:
    """Why `hygge unlock` must leave `held` in place, or None when it may remove it.

    `force` removes a lock whose heartbeat is still fresh from another host (the user knows that
    machine is gone) or from a process this host cannot see; nothing removes the lock of a
    process alive on this host.
    """
    reason = stale_reason(held, now, host=host, stale_after=stale_after, alive=alive)
    if reason is not None:
        return None
    holder = describe_run(held, now)
    label = f"{flow}.{entity}"
    mine = same_machine(held, host)
    if mine and (alive or pid_alive)(held.pid):
        return (
            f"{label} is locked by {holder}, and that process is still running on this host. "
            f"Wait for it to finish, or stop it (pid {held.pid}); then its lock is released or "
            "taken over by the next run."
        )
    if force:
        return None
    if mine:
        return (
            f"{label} is locked by {holder}: this host cannot tell whether process {held.pid} "
            f"still runs, and its heartbeat is fresher than the stale timeout "
            f"({format_age(stale_after)}). If it is gone, run "
            f"`{unlock_command(flow, entity)} --force`."
        )
    return (
        f"{label} is locked by {holder}{namesake(held, host)}: its heartbeat is fresher than "
        f"the stale timeout ({format_age(stale_after)}), so that run may still be moving it. "
        f"If host {held.host} is gone for good, run `{unlock_command(flow, entity)} --force`."
    )


def describe_run(held: LockInfo, now: datetime) -> str:
    """`run R (pid P on host H, heartbeat 12s ago)`."""
    silence = format_age(now - as_utc(held.heartbeat_at))
    return f"run {held.owner} (pid {held.pid} on host {held.host}, heartbeat {silence} ago)"


def namesake(held: LockInfo, host: str | None) -> str:
    """`, on another machine named ...` when `held` names `host` but another boot, else ''."""
    if host is None or held.host != host or same_machine(held, host):
        return ""
    return (
        f", on another machine named {host} sharing this state folder (its lock names boot "
        f"{held.boot}, this machine is in boot {this_boot()})"
    )


def describe_holder(
    flow: str, entity: str, held: LockInfo, now: datetime, host: str | None = None
) -> str:
    """The message for a run that finds the entity locked: who holds it and what to do."""
    return (
        f"{flow}.{entity} is being moved by {describe_run(held, now)}{namesake(held, host)}. "
        "Wait for it to finish, "
        f"or if that process is gone, run `{unlock_command(flow, entity)}`"
    )


def unlock_command(flow: str, entity: str) -> str:
    """The command that removes the lock of `flow.entity` once its holder is gone."""
    return f"hygge unlock --flow {flow} --entity {entity}"


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
