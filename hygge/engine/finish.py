"""Ending an entity run: commit (publish, watermark, journal) or abort (discard, journal)."""

from __future__ import annotations

import logging
from datetime import datetime

from hygge.engine.batches import from_json_scalar, later, to_json_scalar
from hygge.engine.journaling import journal_row, result_of
from hygge.engine.models import Checkpoint, EntityResult, EntityTask
from hygge.engine.steps import Clock, save_checkpoint, utc_now
from hygge.engine.watermarks import pending_margin
from hygge.engine.windows import watermark_settings
from hygge.errors import HyggeError
from hygge.faults import fault_point
from hygge.state.base import StateBackend, Watermark
from hygge.types import JsonScalar, RunStatus, RunType

log = logging.getLogger("hygge.engine")


def commit(
    task: EntityTask, checkpoint: Checkpoint, state: StateBackend, *, clock: Clock = utc_now
) -> EntityResult:
    """Publish the staged data, then advance the watermark, then journal; idempotent on retry."""
    if not checkpoint.done:
        raise HyggeError(f"{task.qualified_name}: commit called before the last chunk was moved")
    store = task.store.open(task.place)
    status = RunStatus.SUCCESS if checkpoint.rows else RunStatus.SKIP
    if checkpoint.phase == "moving":
        checkpoint = checkpoint.model_copy(update={"phase": "publishing"})
        save_checkpoint(task, checkpoint, state)
    if checkpoint.phase == "publishing":
        fault_point("before_publish")
        if status is RunStatus.SUCCESS:
            store.publish(checkpoint.staging)
        else:
            store.abort(checkpoint.staging)  # nothing to publish: keep the store as it is
        fault_point("after_publish")
        checkpoint = checkpoint.model_copy(update={"phase": "published"})
        save_checkpoint(task, checkpoint, state)
    watermark = _next_watermark(task, checkpoint, state, clock())
    notes = "; ".join(checkpoint.notes) or None
    message = notes if status is RunStatus.SUCCESS else "; ".join(filter(None, ["no rows", notes]))
    if checkpoint.phase == "published":
        if task.watermark is not None and task.watermark.lookback is not None:
            state.promote_margin(
                task.flow, task.entity, pending_margin(checkpoint, checkpoint.chunks)
            )
        if watermark is not None:
            state.set_watermark(task.flow, task.entity, watermark)
        fault_point("after_watermark")
        checkpoint = checkpoint.model_copy(update={"finished_at": clock()})
        row = journal_row(task, checkpoint, status, message, watermark)
        state.append_journal(row)
        checkpoint = checkpoint.model_copy(update={"phase": "journaled"})
        save_checkpoint(task, checkpoint, state)
        fault_point("after_journal")
    row = journal_row(task, checkpoint, status, message, watermark)
    state.clear_checkpoint(task.flow, task.entity)
    state.release_lock(task.flow, task.entity, checkpoint.lock_owner)
    return result_of(task, row, checkpoint)


def abort(
    task: EntityTask,
    checkpoint: Checkpoint | None,
    error: BaseException,
    state: StateBackend,
    *,
    lock_owner: str | None = None,
    clock: Clock = utc_now,
) -> EntityResult:
    """Discard staging, journal the failure, release the lock; the store is as it was."""
    message = describe_error(error)
    if checkpoint is not None:
        try:
            task.store.open(task.place).abort(checkpoint.staging)
            state.clear_checkpoint(task.flow, task.entity)
        except Exception as cleanup_error:  # the original error matters more; keep both
            log.error(
                "%s: could not clean up after the failure: %s", task.qualified_name, cleanup_error
            )
            message += f" (clean-up also failed: {cleanup_error}; the next run will retry it)"
    row = journal_row(task, checkpoint, RunStatus.FAIL, message, None, finished=clock())
    row = row.model_copy(update={"error_type": type(error).__name__})
    state.append_journal(row)
    owner = checkpoint.lock_owner if checkpoint is not None else lock_owner
    if owner is not None:
        state.release_lock(task.flow, task.entity, owner)
    return result_of(task, row, checkpoint)


def interrupt(
    task: EntityTask,
    checkpoint: Checkpoint,
    error: BaseException,
    state: StateBackend,
    *,
    clock: Clock = utc_now,
) -> EntityResult:
    """A failure after publishing began: keep the checkpoint so the next run finishes the publish.

    Discarding it would leave published data without its watermark, and the next incremental
    run would load the same rows again.
    """
    if checkpoint.phase == "journaled":
        # Published, watermarked and journaled: only clean-up failed; the next run clears it.
        log.warning("%s: clean-up after a successful run failed: %s", task.qualified_name, error)
        state.release_lock(task.flow, task.entity, checkpoint.lock_owner)
        status = RunStatus.SUCCESS if checkpoint.rows else RunStatus.SKIP
        return result_of(task, journal_row(task, checkpoint, status, None, None), checkpoint)
    message = (
        f"{describe_error(error)} — interrupted while publishing; the next `hygge go` "
        "finishes the publish from the checkpoint"
    )
    row = journal_row(task, checkpoint, RunStatus.FAIL, message, None, finished=clock())
    state.append_journal(row.model_copy(update={"error_type": type(error).__name__}))
    state.release_lock(task.flow, task.entity, checkpoint.lock_owner)
    return result_of(task, row.model_copy(update={"error_type": type(error).__name__}), checkpoint)


def cancelled(
    task: EntityTask, checkpoint: Checkpoint, state: StateBackend, *, clock: Clock = utc_now
) -> EntityResult:
    """Stopped on request between chunks: keep the checkpoint, so the next run resumes it."""
    message = (
        f"cancelled after {checkpoint.rows:,} rows; the next `hygge go` resumes it from its "
        "checkpoint"
    )
    row = journal_row(task, checkpoint, RunStatus.FAIL, message, None, finished=clock())
    row = row.model_copy(update={"error_type": "Cancelled"})
    state.append_journal(row)
    state.release_lock(task.flow, task.entity, checkpoint.lock_owner)
    return result_of(task, row, checkpoint)


def describe_error(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    if isinstance(error, HyggeError):
        return text
    return f"{type(error).__name__}: {text}"


def _next_watermark(
    task: EntityTask, checkpoint: Checkpoint, state: StateBackend, now: datetime
) -> Watermark | None:
    previous = state.get_watermark(task.flow, task.entity)
    column = task.watermark.column if task.watermark else None
    if column is None and checkpoint.loaded_files is None:
        return None
    value: JsonScalar = checkpoint.candidate_watermark
    kind = checkpoint.watermark_type
    if previous is not None and previous.column == column and task.run_type != RunType.FULL_DROP:
        # An incremental window never moves the watermark backwards (nor an empty one).
        kind = kind or previous.value_type
        highest = later(from_json_scalar(previous.value, kind), from_json_scalar(value, kind))
        value = to_json_scalar(highest)
    return Watermark(
        column=column,
        value=value,
        value_type=kind,
        settings=watermark_settings(task),
        files=checkpoint.loaded_files,
        entity_run_id=checkpoint.entity_run_id,
        updated_at=now,
    )
