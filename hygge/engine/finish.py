"""Ending an entity run: commit (publish, watermark, journal) or abort (discard, journal)."""

from __future__ import annotations

import logging
from datetime import datetime

from hygge.engine.after_reset import settle_reset
from hygge.engine.batches import from_json_scalar, later, published_schema, to_json_scalar
from hygge.engine.context import RunContext
from hygge.engine.failures import RunError
from hygge.engine.journaling import journal_row, result_of, skip_note
from hygge.engine.loaded_files import record_loaded_files
from hygge.engine.models import Checkpoint, EntityResult, EntityTask
from hygge.engine.steps import journaled_row, save_checkpoint, saved_checkpoint
from hygge.engine.watermarks import late_note, pending_margin
from hygge.engine.windows import watermark_settings
from hygge.errors import DataError, EntityLockedError, HyggeError, StateError
from hygge.faults import fault_point
from hygge.state.base import StateBackend, Watermark
from hygge.state.journal import JournalRow
from hygge.stores.base import CommitRecord, Store
from hygge.types import JsonScalar, RunStatus, RunType
from hygge.wording import counted

log = logging.getLogger("hygge.engine")


def commit(
    task: EntityTask, checkpoint: Checkpoint, state: StateBackend, *, context: RunContext
) -> EntityResult:
    """Publish the staged data, then advance the watermark, then journal; idempotent on retry."""
    clock, host = context.clock, context.host
    if not checkpoint.done:
        raise HyggeError(f"{task.qualified_name}: commit called before the last chunk was moved")
    # Fencing: a run whose lock was taken over (its heartbeat went stale) must not publish.
    state.refresh_lock(task.flow, task.entity, checkpoint.attempt_id)
    status = RunStatus.SUCCESS if checkpoint.rows else RunStatus.SKIP
    journaled = journaled_row(task, state, checkpoint)
    if journaled is not None:  # a commit delivered again after it journaled: clean up only
        state.clear_checkpoint(task.flow, task.entity, synced=False)
        state.release_lock(task.flow, task.entity, checkpoint.attempt_id)
        return result_of(task, journaled, checkpoint)
    now = clock()
    # Before publish: the store keeps it in its completion marker (with the data, for a
    # transactional store), so a watermark the state loses afterwards can be recovered.
    previous = state.get_watermark(task.flow, task.entity)  # read once: this attempt holds it
    publishes = _publishes(task, checkpoint)
    watermark = _next_watermark(task, checkpoint, previous, now, published=publishes)
    record = _commit_record(checkpoint, watermark, now)
    checkpoint = _publish(task, checkpoint, state, record, context, publishes=publishes)
    message = _message(task, checkpoint, status)
    if checkpoint.phase == "published":
        _fence(task, state, checkpoint)
        if task.watermark is not None and task.watermark.lookback is not None:
            margin = pending_margin(checkpoint, checkpoint.chunks)
            state.promote_margin(task.flow, task.entity, margin)
        record_loaded_files(task, checkpoint, state, previous)
        settle_reset(task, checkpoint, state)
        if watermark is not None:
            state.set_watermark(task.flow, task.entity, watermark)
        fault_point("after_watermark")
        checkpoint = checkpoint.model_copy(update={"finished_at": clock()})
        _fence(task, state, checkpoint)
        state.append_journal(journal_row(task, checkpoint, status, message, watermark, host=host))
        # Not saved as a `journaled` mark: a crash from here on leaves the checkpoint
        # `publishing`, and whoever finds it (the next run, a redelivered commit) finds this
        # run's journal row and only clears it (`steps.journaled_already`).
        checkpoint = checkpoint.model_copy(update={"phase": "journaled"})
        fault_point("after_journal")
    row = journal_row(task, checkpoint, status, message, watermark, host=host)
    # Journaled: should a power cut bring the checkpoint back, the next run just clears it.
    state.clear_checkpoint(task.flow, task.entity, synced=False)
    state.release_lock(task.flow, task.entity, checkpoint.attempt_id)
    return result_of(task, row, checkpoint)


def _fence(task: EntityTask, state: StateBackend, checkpoint: Checkpoint) -> None:
    """Raise EntityLockedError unless this attempt still holds the entity's lock."""
    state.refresh_lock(task.flow, task.entity, checkpoint.attempt_id)


def _fence_cleanup(task: EntityTask, state: StateBackend, checkpoint: Checkpoint) -> None:
    """Raise EntityLockedError when another attempt runs the entity now (a takeover).

    Its staging and checkpoint are not this attempt's to delete. A lock this attempt already
    let go of (a failed begin) is taken again, so no other attempt can start meanwhile.
    """
    state.acquire_lock(task.flow, task.entity, checkpoint.attempt_id)
    stored = saved_checkpoint(task, state)
    if stored is not None and stored.attempt_id != checkpoint.attempt_id:
        raise EntityLockedError(
            f"{task.qualified_name}: attempt {stored.attempt_id[:8]} now runs the entity; "
            f"attempt {checkpoint.attempt_id[:8]} leaves its staging and checkpoint alone"
        )


def _publishes(task: EntityTask, checkpoint: Checkpoint) -> bool:
    """Whether the run publishes: an incremental run without rows leaves the store alone,
    unless the store creates its table from the run's columns (`empty_tables`) and has no
    commit yet but this run's: the first run of an empty source then leaves the table."""
    if checkpoint.rows or checkpoint.staging.run_type is RunType.FULL_DROP:
        return True  # (a first run after reset publishes as a full_drop: `engine.after_reset`)
    if not task.store.capabilities.empty_tables or checkpoint.arrow_schema is None:
        return False
    last = task.store.open(task.place).last_commit()
    return last is None or last.run_id == checkpoint.staging.run_id


def _commit_record(
    checkpoint: Checkpoint, watermark: Watermark | None, now: datetime
) -> CommitRecord:
    return CommitRecord(
        run_id=checkpoint.staging.run_id,
        attempt_id=checkpoint.attempt_id,
        run_type=checkpoint.staging.run_type,  # how it published: a full_drop after a reset
        window_lower=checkpoint.window.lower,
        window_upper=checkpoint.window.upper,
        rows=checkpoint.rows,
        watermark=watermark,
        committed_at=now,
    )


def _publish(
    task: EntityTask,
    checkpoint: Checkpoint,
    state: StateBackend,
    record: CommitRecord,
    context: RunContext,
    *,
    publishes: bool,
) -> Checkpoint:
    """Make the staged data visible (once, whatever crashed before) and record that it is."""
    if checkpoint.phase not in ("moving", "publishing"):
        return checkpoint
    store = task.store.open(task.place)  # opened once for the step: each open costs CPU
    if checkpoint.phase == "moving":
        _refuse_lost_staging(task, store, checkpoint, publishes=publishes)
        checkpoint = checkpoint.model_copy(update={"phase": "publishing"})
        checkpoint = save_checkpoint(task, checkpoint, state, clock=context.clock)
    fault_point("before_publish")
    _fence(task, state, checkpoint)
    if publishes:
        staging = checkpoint.staging
        if staging.arrow_schema is None and checkpoint.arrow_schema is not None:
            staging = staging.model_copy(update={"arrow_schema": checkpoint.arrow_schema})
        store.publish(staging, record)  # an empty full_drop empties the entity
    else:
        store.abort(checkpoint.staging)  # an incremental run with no new rows changes nothing
    fault_point("after_publish")
    # Not saved: a crash from here on leaves the checkpoint `publishing`, and publishing the
    # same run again is a no-op (the store's completion marker names it), so the next run
    # finishes the commit exactly as from `published`, one fsynced write fewer per run.
    return checkpoint.model_copy(update={"phase": "published"})


def _refuse_lost_staging(
    task: EntityTask, store: Store, checkpoint: Checkpoint, *, publishes: bool
) -> None:
    """StateError before publishing begins when staged files the checkpoint lists are gone:
    the run then ends as an abort (nothing was published), and the next run reads its window
    again, instead of a publish that could never finish."""
    if not publishes:
        return
    missing = store.missing_staged(checkpoint.staging)
    if missing:
        raise StateError(
            f"{task.qualified_name}: {counted(len(missing), 'staged file')} of this run "
            f"({missing[0]}{', …' if len(missing) > 1 else ''}) are gone from "
            f"{checkpoint.staging.location}; removed by hand? Nothing of the run was published: "
            "it is discarded, and the next `hygge go` reads its rows again"
        )


def _message(task: EntityTask, checkpoint: Checkpoint, status: RunStatus) -> str | None:
    parts = list(checkpoint.notes)
    late = late_note(task, checkpoint)
    if late is not None:
        log.warning("%s: %s", task.qualified_name, late)
        parts.append(late)
    if status is RunStatus.SKIP:
        emptied = checkpoint.staging.run_type is RunType.FULL_DROP
        parts.insert(0, skip_note(emptied, checkpoint.arrow_schema))
    return "; ".join(parts) or None


def abort(
    task: EntityTask,
    checkpoint: Checkpoint | None,
    error: RunError,
    state: StateBackend,
    *,
    lock_owner: str | None = None,
    context: RunContext,
) -> EntityResult:
    """Discard staging, journal the failure, release the lock; the store is as it was."""
    message = error.text
    if checkpoint is not None:
        _fence_cleanup(task, state, checkpoint)
        try:
            task.store.open(task.place).abort(checkpoint.staging)
            state.clear_checkpoint(task.flow, task.entity)
        except Exception as cleanup_error:  # the original error matters more; keep both
            log.error(
                "%s: could not clean up after the failure: %s", task.qualified_name, cleanup_error
            )
            message += f" (clean-up also failed: {cleanup_error}; the next run will retry it)"
    row = journal_row(
        task, checkpoint, RunStatus.FAIL, message, None, host=context.host, finished=context.clock()
    )
    row = row.model_copy(update={"error_type": error.type})
    owner = checkpoint.attempt_id if checkpoint is not None else lock_owner
    return result_of(task, _record_failure(task, state, row, owner), checkpoint)


def interrupt(
    task: EntityTask,
    checkpoint: Checkpoint,
    error: RunError,
    state: StateBackend,
    *,
    context: RunContext,
) -> EntityResult:
    """A failure after publishing began: keep the checkpoint so the next run finishes the publish.

    Discarding it would leave published data without its watermark, and the next incremental
    run would load the same rows again.
    """
    journaled = None if checkpoint.phase == "journaled" else journaled_row(task, state, checkpoint)
    if checkpoint.phase == "journaled" or journaled is not None:
        # Published, watermarked and journaled: only clean-up failed; the next run clears it.
        log.warning(
            "%s: clean-up after a successful run failed: %s", task.qualified_name, error.text
        )
        _release(task, state, checkpoint.attempt_id)
        if journaled is not None:
            return result_of(task, journaled, checkpoint)
        status = RunStatus.SUCCESS if checkpoint.rows else RunStatus.SKIP
        row = journal_row(task, checkpoint, status, None, None, host=context.host)
        return result_of(task, row, checkpoint)
    message = f"{error.text} — interrupted while publishing; {_publish_advice(task, error)}"
    row = journal_row(
        task, checkpoint, RunStatus.FAIL, message, None, host=context.host, finished=context.clock()
    )
    row = row.model_copy(update={"error_type": error.type})
    result = result_of(task, _record_failure(task, state, row, checkpoint.attempt_id), checkpoint)
    return result.model_copy(update={"rows_kept": checkpoint.rows})  # the next run publishes them


def _publish_advice(task: EntityTask, error: RunError) -> str:
    """What the next `hygge go` does about an interrupted publish, by the failure's kind."""
    reset = (
        f"`hygge reset -f {task.flow} -e {task.entity}` drops this run and "
        f"`hygge go --full-drop -e {task.qualified_name}` reloads the entity"
    )
    if error.retryable:  # goes away by itself
        return "the next `hygge go` finishes the publish from the checkpoint"
    if task.store.capabilities.transactional and error.type == DataError.__name__:
        # The store's publish is one commit, and it refused the rows themselves: every new
        # try of this run's rows is refused alike.
        return (
            "the store refused this run's rows and refuses them again on every `hygge go`: "
            f"put them right at the source, then {reset}"
        )
    # Comes back until it is put right (a full disk, a permission, a folder hygge does not own).
    message = "once that is put right, the next `hygge go` finishes the publish from the checkpoint"
    if task.store.capabilities.transactional:
        message += (
            f"; if the store refuses the rows themselves, put them right at the source, then "
            f"{reset}"
        )
    return message


def cancelled(
    task: EntityTask,
    checkpoint: Checkpoint,
    state: StateBackend,
    *,
    redone: bool = False,
    context: RunContext,
) -> EntityResult:
    """Stopped on request: keep the checkpoint, so the next run resumes it.

    `redone`: the cancel came in the middle of a write, so the rows staged after the last
    checkpoint are discarded and read again by the next run.
    """
    message = (
        f"{counted(checkpoint.rows, 'row')} staged and kept; the next `hygge go` resumes from the "
        "checkpoint"
    )
    if redone:
        message += " (rows staged after it, while the cancel came in, are read again)"
    row = journal_row(
        task, checkpoint, RunStatus.FAIL, message, None, host=context.host, finished=context.clock()
    )
    row = row.model_copy(update={"error_type": "Cancelled"})
    result = result_of(task, _record_failure(task, state, row, checkpoint.attempt_id), checkpoint)
    return result.model_copy(update={"rows_kept": checkpoint.rows})


def not_run(
    task: EntityTask, why: str, state: StateBackend, *, context: RunContext
) -> EntityResult:
    """Journal an entity the run never started (why: an earlier failure, a cancel)."""
    row = journal_row(
        task, None, RunStatus.NOT_RUN, why, None, host=context.host, finished=context.clock()
    )
    return result_of(task, _record_failure(task, state, row, None), None)


def _record_failure(
    task: EntityTask, state: StateBackend, row: JournalRow, owner: str | None
) -> JournalRow:
    """Journal a failed (or never started) run and release its lock; never raises.

    When the journal itself cannot be written, the row's message says so: the run's result
    still reaches the user, and the lock never outlives a failure.
    """
    try:
        state.append_journal(row)
    except Exception as journal_error:
        log.error("%s: the journal could not be written: %s", task.qualified_name, journal_error)
        message = f"{row.message} (and the journal could not be written: {journal_error})"
        row = row.model_copy(update={"message": message})
    finally:
        _release(task, state, owner)
    return row


def _release(task: EntityTask, state: StateBackend, owner: str | None) -> None:
    if owner is None:
        return
    try:
        state.release_lock(task.flow, task.entity, owner)
    except Exception as lock_error:
        log.error("%s: its lock could not be released: %s", task.qualified_name, lock_error)


def _next_watermark(
    task: EntityTask,
    checkpoint: Checkpoint,
    previous: Watermark | None,
    now: datetime,
    *,
    published: bool,
) -> Watermark | None:
    column = task.watermark.column if task.watermark else None
    if column is None and checkpoint.file_records is None:
        return None
    value: JsonScalar = checkpoint.candidate_watermark
    kind = checkpoint.watermark_type
    if previous is not None and previous.column == column and task.run_type != RunType.FULL_DROP:
        # An incremental window never moves the watermark backwards (nor an empty one).
        kind = kind or previous.value_type
        highest = later(from_json_scalar(previous.value, kind), from_json_scalar(value, kind))
        value = to_json_scalar(highest)
    # The run whose publish it follows: a run that published nothing keeps the one before, so
    # it names the run the store's completion marker names (see `engine.recovery`).
    kept_run = previous.entity_run_id if previous is not None else None
    return Watermark(
        column=column,
        value=value,
        value_type=kind,
        settings=watermark_settings(task),
        # The store the data went to (for a checkpoint of an older hygge: the current one).
        store_identity=checkpoint.store_identity or task.store.open(task.place).identity(),
        arrow_schema=published_schema(
            checkpoint.arrow_schema,
            previous.arrow_schema if previous else None,
            rows=checkpoint.rows,
            full_drop=checkpoint.staging.run_type is RunType.FULL_DROP,
        ),
        entity_run_id=checkpoint.entity_run_id if published else kept_run,
        updated_at=now,
    )


def ending_failed(
    task: EntityTask, state: StateBackend, first: RunError, error: Exception, owner: str | None
) -> EntityResult:
    """The step that was to end a failed run (interrupt or abort) failed too.

    Asking for it again would fail alike, round and round: the run ends here, its checkpoint
    and staged rows kept as they are (the next run resumes or discards them, as after a crash),
    with no journal row (writing it may be what failed) and its lock released if it can be."""
    log.error("%s: ending the failed run failed too: %s", task.qualified_name, error)
    _release(task, state, owner)
    return EntityResult(
        flow=task.flow,
        entity=task.entity,
        status=RunStatus.FAIL,
        run_type=task.run_type,
        message=f"{first.text}; then ending the run failed too ({type(error).__name__}: "
        f"{error}): the checkpoint is kept, and the next `hygge go` takes it from there",
        error_type=first.type,
    )
