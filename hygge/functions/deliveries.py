"""One delivery of a chunk at a time: Durable may deliver an activity twice at once.

Both deliveries of a move_chunk carry the run's attempt id, so the entity's lock cannot tell
them apart. Each delivery also takes the chunk's *delivery lock* (a lock of the state backend
on `<entity>~<partition hash>`, owned by this process's own token): the second delivery finds
it held by a live holder and changes nothing; a redelivery after its holder died takes it over.
It exists only while a chunk moves.

When is a holder gone? A chunk is bounded by `HYGGE_CHUNK_SECONDS`, and a live delivery
heartbeats its lock every quarter of `delivery_stale_after(chunk_seconds)` (chunk seconds +
`MARGIN_SECONDS`: at most 21 minutes, inside `functionTimeout`'s 30). So a delivery lock whose
heartbeat is older than that bound belongs to a worker that died or hung past its chunk (the
host would have restarted it at its timeout), and is taken over at once — not after the state
backend's 10-minute stale timeout for entity locks. A pid gone on this host is taken over at
once, as for any lock; a live pid on this host never is (`StateBackend.remove_lock`).
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from hygge.engine.models import EntityTask
from hygge.errors import EntityLockedError
from hygge.state.base import LockInfo, StateBackend
from hygge.state.clock import as_utc
from hygge.state.heartbeat import Heartbeat, heartbeat_interval

POLL_SECONDS = 0.5
MARGIN_SECONDS = 60  # beyond HYGGE_CHUNK_SECONDS: a chunk's last batch and its checkpoint

__all__ = ["MARGIN_SECONDS", "chunk_delivery", "delivery_name", "delivery_stale_after"]

log = logging.getLogger("hygge.functions")


def delivery_stale_after(chunk_seconds: float) -> timedelta:
    """How long a delivery lock's heartbeat may be silent before its holder counts as gone."""
    return timedelta(seconds=float(chunk_seconds) + MARGIN_SECONDS)


def delivery_name(entity: str, partition: str) -> str:
    """The pseudo-entity whose lock guards the deliveries of `partition`'s chunks."""
    return f"{entity}~{hashlib.sha256(partition.encode()).hexdigest()[:8]}"


@contextmanager
def chunk_delivery(
    state: StateBackend,
    task: EntityTask,
    partition: str,
    attempt: str,
    *,
    wait_seconds: float,
    stale_after: timedelta,
) -> Iterator[None]:
    """Hold the delivery lock of `partition` while the body moves its chunk (heartbeat kept,
    every quarter of `stale_after`).

    Another delivery holding it: wait (up to `wait_seconds`) until it lets go, then go on —
    the body finds that chunk moved and returns it; one whose heartbeat is silent for longer
    than `stale_after` is gone, and its lock is taken over. Still held at the end of the wait:
    EntityLockedError, nothing changed.
    """
    name = delivery_name(task.entity, partition)
    token = f"{attempt[:24]}-{uuid.uuid4().hex[:16]}"
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            state.acquire_lock(task.flow, name, token)
            break
        except EntityLockedError as held:
            if _take_over_silent(state, task, name, stale_after):
                continue
            if time.monotonic() >= deadline:
                raise EntityLockedError(
                    f"{task.qualified_name}: another delivery of this chunk (partition "
                    f"{partition!r}) is still moving it after {wait_seconds:.0f}s; this "
                    f"delivery changes nothing ({held})"
                ) from held
            time.sleep(POLL_SECONDS)
    try:
        every = heartbeat_interval(state, stale_after / 4)
        with Heartbeat(state, task.flow, name, token, every):
            yield
    finally:
        state.release_lock(task.flow, name, token)


def _take_over_silent(
    state: StateBackend, task: EntityTask, name: str, stale_after: timedelta
) -> bool:
    """Remove the delivery lock `name` if its holder's heartbeat is older than `stale_after`
    (never a live process of this host: `remove_lock` refuses it); whether it was removed."""
    try:
        held = state.get_lock(task.flow, name)
        if held is None or not _silent(held, stale_after):
            return False
        state.remove_lock(task.flow, name, force=True, holder=held.owner)
    except EntityLockedError:
        return False  # alive on this host, or taken by another delivery meanwhile
    log.warning(
        "%s: the delivery of this chunk by %s (host %s, pid %d) has sent no heartbeat for "
        "longer than %.0fs (HYGGE_CHUNK_SECONDS + %ds): taken over",
        task.qualified_name,
        held.owner,
        held.host,
        held.pid,
        stale_after.total_seconds(),
        MARGIN_SECONDS,
    )
    return True


def _silent(held: LockInfo, stale_after: timedelta) -> bool:
    return datetime.now(UTC) - as_utc(held.heartbeat_at) > stale_after
