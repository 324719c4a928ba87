"""One delivery of a chunk at a time: Durable may deliver an activity twice at once.

Both deliveries of a move_chunk carry the run's attempt id, so the entity's lock cannot tell
them apart. Each delivery also takes the chunk's *delivery lock* (a lock of the state backend
on `<entity>~<partition hash>`, owned by this process's own token): the second delivery finds
it held by a live holder and changes nothing; a redelivery after its holder died (a killed
worker: its pid gone on this host, or its heartbeat stale from another) takes it over, as any
lock of a gone holder is taken over. It exists only while a chunk moves.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from hygge.engine.models import EntityTask
from hygge.errors import EntityLockedError
from hygge.state.base import StateBackend
from hygge.state.heartbeat import Heartbeat, heartbeat_interval
from hygge.state.lock_rules import DEFAULT_STALE_AFTER

POLL_SECONDS = 0.5

__all__ = ["chunk_delivery", "delivery_name"]


def delivery_name(entity: str, partition: str) -> str:
    """The pseudo-entity whose lock guards the deliveries of `partition`'s chunks."""
    return f"{entity}~{hashlib.sha256(partition.encode()).hexdigest()[:8]}"


@contextmanager
def chunk_delivery(
    state: StateBackend, task: EntityTask, partition: str, attempt: str, *, wait_seconds: float
) -> Iterator[None]:
    """Hold the delivery lock of `partition` while the body moves its chunk (heartbeat kept).

    Another delivery holding it: wait (up to `wait_seconds`) until it lets go, then go on —
    the body finds that chunk moved and returns it. Still held then: EntityLockedError,
    nothing changed.
    """
    name = delivery_name(task.entity, partition)
    token = f"{attempt[:16]}-{uuid.uuid4().hex[:16]}"
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            state.acquire_lock(task.flow, name, token)
            break
        except EntityLockedError as held:
            if time.monotonic() >= deadline:
                raise EntityLockedError(
                    f"{task.qualified_name}: another delivery of this chunk (partition "
                    f"{partition!r}) is still moving it after {wait_seconds:.0f}s; this "
                    f"delivery changes nothing ({held})"
                ) from held
            time.sleep(POLL_SECONDS)
    try:
        every = heartbeat_interval(state, DEFAULT_STALE_AFTER / 4)
        with Heartbeat(state, task.flow, name, token, every):
            yield
    finally:
        state.release_lock(task.flow, name, token)
