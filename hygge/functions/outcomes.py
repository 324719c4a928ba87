"""Outcomes and references the activities return, built from the engine's models."""

from __future__ import annotations

import hashlib

from hygge.engine.models import Checkpoint, EntityResult
from hygge.functions.contracts import (
    CheckpointRef,
    EntityOutcome,
    EntityTaskRef,
    RunSummary,
    SummaryInput,
)
from hygge.types import RunStatus

__all__ = ["checkpoint_ref", "failed_outcome", "outcome_of", "run_hash", "summarise"]


def run_hash(instance_id: str) -> str:
    """A 32-hex id derived from an instance id (the run's coordinator id, attempt ids)."""
    return hashlib.sha256(instance_id.encode()).hexdigest()[:32]


def checkpoint_ref(checkpoint: Checkpoint) -> CheckpointRef:
    return CheckpointRef(
        entity_run_id=checkpoint.entity_run_id,
        attempt_id=checkpoint.attempt_id,
        generation=checkpoint.generation,
        rows=checkpoint.rows,
        chunks=checkpoint.chunks,
        done=checkpoint.done,
        partitions=checkpoint.movable,
        partition_chunks={p.id: p.chunks for p in checkpoint.partitions},
    )


def outcome_of(result: EntityResult, *, cancelled: bool = False) -> EntityOutcome:
    return EntityOutcome(
        flow=result.flow,
        entity=result.entity,
        status=result.status,
        run_type=result.run_type,
        entity_run_id=result.entity_run_id,
        rows=result.rows,
        rows_kept=result.rows_kept,
        seconds=result.seconds,
        message=result.message,
        error_type=result.error_type,
        cancelled=cancelled,
    )


def summarise(payload: SummaryInput, outcomes: list[EntityOutcome]) -> RunSummary:
    def count(status: RunStatus) -> int:
        return sum(1 for o in outcomes if o.status is status)

    return RunSummary(
        run_id=payload.run_id,
        coordinator=payload.plan.coordinator,
        coordinator_run_id=payload.plan.coordinator_run_id,
        trigger=payload.run.trigger,
        requested_at=payload.run.requested_at,
        dry_run=payload.run.request.dry_run,
        cancelled=payload.cancelled,
        entities=len(outcomes),
        succeeded=count(RunStatus.SUCCESS),
        skipped=count(RunStatus.SKIP),
        failed=count(RunStatus.FAIL),
        not_run=count(RunStatus.NOT_RUN),
        rows=sum(o.rows for o in outcomes),
        outcomes=outcomes,
    )


def failed_outcome(ref: EntityTaskRef, message: str, error_type: str) -> EntityOutcome:
    return EntityOutcome(
        flow=ref.flow,
        entity=ref.entity,
        status=RunStatus.FAIL,
        run_type=ref.run_type,
        message=message,
        error_type=error_type,
    )
