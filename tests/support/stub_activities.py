"""Stub activities for the orchestrators: no I/O, each entity moves `chunks` chunks.

For the bench (orchestrator CPU per entity per episode) and the orchestration tests that need
no store: what the activities return has the contracts' shapes, as the real ones do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hygge.functions.contracts import (
    ActivityInput,
    CheckpointRef,
    EntityOutcome,
    EntityTaskRef,
    FailureRef,
    PlanInput,
    PlanResult,
    RunSummary,
    StepOutcome,
    SummaryInput,
)
from hygge.types import RunStatus, RunType


@dataclass
class StubActivities:
    """`entities` entities of `chunks` chunks each; `failing` entities fail their first chunk."""

    entities: int
    chunks: int = 2
    max_parallel: int = 8
    failing: set[str] = field(default_factory=set)
    rows_per_chunk: int = 10
    raising: set[str] = field(default_factory=set)  # entities whose begin raises (a bug)
    # Partition id -> its chunks: the entity's partitions, which move on their own once its
    # first chunk moved (as `Checkpoint.movable` says); the stored checkpoint merges them.
    partitions: dict[str, int] = field(default_factory=dict)
    stored: dict[str, CheckpointRef] = field(default_factory=dict)

    def __call__(self, name: str, payload: Any) -> Any:
        return getattr(self, f"_{name}")(payload)

    def _plan(self, payload: Any) -> Any:
        given = PlanInput.model_validate(payload)
        refs = [
            EntityTaskRef(
                run_id=given.run_id,
                coordinator_run_id="c" * 32,
                flow_run_id="f" * 32,
                flow="shop",
                entity=f"e{index:04d}",
                run_type=RunType.FULL_DROP,
            )
            for index in range(self.entities)
        ]
        return PlanResult(
            coordinator="shop",
            coordinator_run_id="c" * 32,
            tasks=refs,
            max_parallel=self.max_parallel,
        ).model_dump(mode="json")

    def _begin(self, payload: Any) -> Any:
        given = ActivityInput.model_validate(payload)
        if given.task.entity in self.raising:
            raise RuntimeError(f"{given.task.entity}: begin blew up")
        ref = CheckpointRef(entity_run_id=given.attempt, attempt_id=given.attempt, generation=1)
        if self.partitions:
            first = next(iter(self.partitions))
            counts = dict.fromkeys(self.partitions, 0)
            ref = ref.model_copy(update={"partitions": [first], "partition_chunks": counts})
            self.stored.setdefault(given.task.entity, ref)
        return StepOutcome(checkpoint=ref).model_dump(mode="json")

    def _move_chunk(self, payload: Any) -> Any:
        given = ActivityInput.model_validate(payload)
        ref = given.checkpoint
        assert ref is not None
        if self.partitions:
            return self._move_partition(given)
        if given.task.entity in self.failing:
            failure = FailureRef(kind="terminal", type="DataError", message="bad rows", ours=True)
            return StepOutcome(failure=failure).model_dump(mode="json")
        chunks = ref.chunks + 1
        moved = ref.model_copy(
            update={
                "chunks": chunks,
                "rows": ref.rows + self.rows_per_chunk,
                "generation": ref.generation + 1,
                "done": chunks >= self.chunks,
                "partition_chunks": {"all": chunks},
            }
        )
        return StepOutcome(checkpoint=moved).model_dump(mode="json")

    def _move_partition(self, given: ActivityInput) -> Any:
        """One chunk of `given.partition`, merged into the entity's stored checkpoint."""
        stored = self.stored[given.task.entity]
        partition = given.partition or next(
            p for p, n in self.partitions.items() if stored.partition_chunks[p] < n
        )
        asked = given.checkpoint.partition_chunks.get(partition, 0) if given.checkpoint else 0
        if stored.partition_chunks[partition] > asked:  # redelivered: that chunk moved already
            return StepOutcome(checkpoint=stored, redelivered=True).model_dump(mode="json")
        counts = {**stored.partition_chunks, partition: stored.partition_chunks[partition] + 1}
        waiting = [p for p, n in self.partitions.items() if counts[p] < n]
        stored = stored.model_copy(
            update={
                "chunks": stored.chunks + 1,
                "rows": stored.rows + self.rows_per_chunk,
                "generation": stored.generation + 1,
                "done": not waiting,
                "partitions": waiting,
                "partition_chunks": counts,
            }
        )
        self.stored[given.task.entity] = stored
        return StepOutcome(checkpoint=stored).model_dump(mode="json")

    def _commit(self, payload: Any) -> Any:
        given = ActivityInput.model_validate(payload)
        ref = given.checkpoint
        assert ref is not None
        outcome = EntityOutcome(
            flow=given.task.flow,
            entity=given.task.entity,
            status=RunStatus.SUCCESS,
            run_type=given.task.run_type,
            rows=ref.rows,
        )
        return StepOutcome(outcome=outcome).model_dump(mode="json")

    def _abort(self, payload: Any) -> Any:
        given = ActivityInput.model_validate(payload)
        failure = given.failure
        return EntityOutcome(
            flow=given.task.flow,
            entity=given.task.entity,
            status=RunStatus.FAIL,  # the engine journals a cancel as a fail (`Cancelled`)
            run_type=given.task.run_type,
            message=failure.message if failure else "cancelled",
            error_type=failure.type if failure else "Cancelled",
            cancelled=given.cancelled,
        ).model_dump(mode="json")

    def _summary(self, payload: Any) -> Any:
        from hygge.functions.outcomes import summarise

        given = SummaryInput.model_validate(payload)
        extra = [
            EntityOutcome(
                flow=ref.flow,
                entity=ref.entity,
                status=RunStatus.NOT_RUN,
                run_type=ref.run_type,
                cancelled=True,
            )
            for ref in given.not_started
        ]
        summary: RunSummary = summarise(given, [*given.outcomes, *extra])
        return summary.model_dump(mode="json")
