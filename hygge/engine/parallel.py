"""The local driver's partitions: one chunk of each movable partition, in a thread each."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from hygge.engine.context import RunContext
from hygge.engine.models import Checkpoint, EntityTask
from hygge.engine.steps import ChunkBudget, move_chunk
from hygge.state.base import StateBackend


@dataclass(frozen=True)
class ChunkOptions:
    """What every chunk of an attempt is moved with."""

    budget: ChunkBudget
    on_progress: Callable[[int], None] | None = None
    cancel: threading.Event | None = None
    # `move_chunk`'s: this driver commits in this process right after the last chunk, whose
    # checkpoint that commit saves (the local runner)
    commit_next: bool = False


def move_partitions(
    task: EntityTask,
    checkpoint: Checkpoint,
    state: StateBackend,
    ids: list[str],
    options: ChunkOptions,
    *,
    context: RunContext,
) -> Checkpoint:
    """One chunk of each partition in `ids` (`MoveChunk.partitions`), in a thread each when
    there are several; the newest checkpoint they saved. A failure is raised once every
    partition's chunk has ended (each saved what it staged)."""
    cancel = options.cancel

    def move(partition: str | None) -> Checkpoint:
        return move_chunk(
            task,
            checkpoint,
            state,
            context=context,
            budget=options.budget,
            partition=partition,
            on_progress=options.on_progress,
            should_stop=cancel.is_set if cancel is not None else None,
            on_cancel=cancel.set if cancel is not None else None,
            commit_next=options.commit_next,
        )

    if len(ids) < 2:
        return move(ids[0] if ids else None)
    with ThreadPoolExecutor(len(ids), thread_name_prefix="hygge-part") as pool:
        futures = [pool.submit(move, partition) for partition in ids]
        try:
            _wait_all(futures)
        except KeyboardInterrupt:
            if cancel is not None:
                cancel.set()  # each partition stops at its next batch and checkpoints
            wait(futures)
            raise
    for future in futures:
        error = future.exception()
        if error is not None:
            raise error
    return max((f.result() for f in futures), key=lambda saved: saved.generation)


def _wait_all(futures: list[Future[Checkpoint]]) -> None:
    """Wait in short slices, so a Ctrl-C reaches this (the main) thread meanwhile."""
    pending = set(futures)
    while pending:
        _, pending = wait(pending, timeout=0.2)
