"""Journal rows and results of entity runs, built from the task and its checkpoint."""

from __future__ import annotations

from datetime import datetime

from hygge.engine.batches import untyped
from hygge.engine.models import Checkpoint, EntityResult, EntityTask
from hygge.state.base import Watermark
from hygge.state.journal import JournalRow
from hygge.types import JsonScalar, RunStatus, RunType


def journal_row(
    task: EntityTask,
    checkpoint: Checkpoint | None,
    status: RunStatus,
    message: str | None,
    watermark: Watermark | None,
    *,
    host: str,
    finished: datetime | None = None,
) -> JournalRow:
    """The journal row of an entity run (finished at `finished`, else at the checkpoint's).

    `host`: the driver's name for the machine the step ran on.
    """
    if finished is None:
        assert checkpoint is not None and checkpoint.finished_at is not None
        finished = checkpoint.finished_at
    started = checkpoint.started_at if checkpoint is not None else finished
    run_id = (
        checkpoint.entity_run_id if checkpoint is not None else f"{task.flow_run_id}-{task.entity}"
    )
    window = checkpoint.window if checkpoint is not None else None
    tracked = (
        watermark is not None and watermark.column is not None and status is not RunStatus.FAIL
    )
    return JournalRow(
        entity_run_id=run_id,
        coordinator_run_id=task.coordinator_run_id,
        flow_run_id=task.flow_run_id,
        coordinator=task.coordinator,
        flow=task.flow,
        entity=task.entity,
        start_time=started,
        finish_time=finished,
        status=status.value,
        run_type=(checkpoint.run_type if checkpoint is not None else task.run_type).value,
        row_count=_published_rows(checkpoint, status),
        duration=active_seconds(checkpoint, finished) if checkpoint is not None else 0.0,
        primary_key=",".join(task.watermark.key_columns) or None
        if tracked and task.watermark
        else None,
        watermark_column=watermark.column if tracked and watermark else None,
        watermark_type=watermark.value_type if tracked and watermark else None,
        watermark=_text(watermark.value) if tracked and watermark else None,
        message=message,
        window_from=_text(window.lower) if window is not None else None,
        window_to=_text(window.upper) if window is not None else None,
        files=len(window.files) if window is not None and window.files is not None else None,
        chunks=checkpoint.chunks if checkpoint is not None else None,
        resumed=checkpoint.resumed if checkpoint is not None else 0,
        home=f"{task.home.type} {task.home.path}",
        store=f"{task.store.type} {task.store.path}",
        host=host,
    )


def active_seconds(checkpoint: Checkpoint, now: datetime) -> float:
    """Seconds the run has worked by `now`: since it started, less the downtime of resumes."""
    return max(0.0, (now - checkpoint.started_at).total_seconds() - checkpoint.paused_seconds)


def _published_rows(checkpoint: Checkpoint | None, status: RunStatus) -> int:
    """Rows this run put into the store: none unless it succeeded (staged rows are not moved)."""
    if checkpoint is None or status not in {RunStatus.SUCCESS, RunStatus.SKIP}:
        return 0
    return checkpoint.rows


def _text(value: JsonScalar) -> str | None:
    return None if value is None else str(value)


def result_of(task: EntityTask, row: JournalRow, checkpoint: Checkpoint | None) -> EntityResult:
    """What the runner and the CLI report for a journaled run."""
    return EntityResult(
        flow=task.flow,
        entity=task.entity,
        entity_run_id=row.entity_run_id,
        status=RunStatus(row.status),
        run_type=RunType(row.run_type),
        rows=row.row_count or 0,
        seconds=row.duration or 0.0,
        message=row.message,
        error_type=row.error_type,
        window_from=row.window_from,
        window_to=row.window_to,
        watermark=row.watermark,
        files=row.files,
        resumed=checkpoint.resumed if checkpoint is not None else 0,
    )


def skip_note(full_drop: bool, run: str | None) -> str:
    """What a run of no rows did, for its journal row and the summary."""
    said = "no rows: the source is empty, so the entity is now empty" if full_drop else "no rows"
    if untyped(run):  # a csv of only a header
        said += (
            " (only a header: a table there keeps its column types; none is made until rows"
            " give them)"
        )
    return said
