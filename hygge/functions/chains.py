"""The chains of chunks of one entity run: one chain of move_chunk calls per partition.

`run_entity` (`hygge.functions.orchestrators`) drives them; like it, this is replay-safe
orchestrator code: no I/O, no clock, no randomness, only the small contracts.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from hygge.functions.contracts import CheckpointRef, FailureRef, StepOutcome

__all__ = ["CHUNKS_PER_EPISODE", "PartitionChains", "chunk_outcome", "crashed", "reason"]

CHUNKS_PER_EPISODE = 20  # move_chunk calls in one execution of run_entity before continue_as_new


class PartitionChains:
    """One chain of move_chunk calls per movable partition, each advancing on its own.

    A `task_any` over the partitions' current chunks (and the cancel event): as soon as one
    partition's chunk returns, that partition's next chunk starts, whatever the others do (no
    round waits for the slowest). The newest checkpoint seen (highest generation: the stored
    one merges every partition's saves) is what the next chunk, the commit or the next
    execution starts from. At most `CHUNKS_PER_EPISODE` chunks start in one execution; a
    failure, a cancel or that bound starts no more, and the chunks in flight are waited for
    (each ends and checkpoints) before the entity goes on, so nothing is left half.
    """

    def __init__(
        self,
        context: Any,
        ref: CheckpointRef,
        cancel: Any,
        payload: Any,
    ) -> None:
        self.context = context
        self.newest = ref
        self.cancel = cancel
        self.payload = payload
        self.flying: dict[str, Any] = {}  # partition id ("" for "the next") -> its chunk task
        self.moved = 0  # move_chunk calls started
        self.retries = 0
        self.failure: FailureRef | None = None
        self.cancelled = False

    def run(self) -> Generator[Any, Any, None]:
        self._launch()
        while self.flying:
            waiting = [*self.flying.values(), *([] if self.cancelled else [self.cancel])]
            winner = yield self.context.task_any(waiting)
            if winner is self.cancel:
                self.cancelled = True
                continue
            key = next(name for name, chunk in self.flying.items() if chunk is winner)
            del self.flying[key]
            step = chunk_outcome(winner.result)
            self.retries += step.retries
            self.cancelled = self.cancelled or step.cancelled  # the run's cancel marker
            if step.failure is not None and self.failure is None:
                self.failure = step.failure
            if step.checkpoint is not None and step.checkpoint.generation >= self.newest.generation:
                self.newest = step.checkpoint
            self._launch()

    def _launch(self) -> None:
        """Start the next chunk of every movable partition not moving now, unless stopping."""
        if self.cancel.is_completed:
            self.cancelled = True
        if self.failure is not None or self.cancelled or self.newest.done:
            return
        movable: list[str | None] = [*self.newest.partitions] or [None]
        for partition in movable:
            key = partition or ""
            if key in self.flying or self.moved >= CHUNKS_PER_EPISODE:
                continue
            self.flying[key] = self.context.call_activity(
                "move_chunk", self.payload(self.newest, partition)
            )
            self.moved += 1


def chunk_outcome(result: Any) -> StepOutcome:
    """A move_chunk's StepOutcome; a failed task's exception as a failure."""
    if isinstance(result, Exception):
        return StepOutcome(failure=crashed("move_chunk", result))
    return StepOutcome.model_validate(result)


def crashed(name: str, error: BaseException) -> FailureRef:
    return FailureRef(
        kind="terminal",
        type="ActivityFailed",
        message=f"the {name} activity failed: {reason(error)}",
        where=name,
    )


def reason(error: object) -> str:
    """The first line of a failure as Durable passes it (`Reason \\n Details`)."""
    text = str(error).strip()
    return text.split("\n", 1)[0].strip() or type(error).__name__
