"""The journal row: one per entity run, the original hygge's 18 columns first, then ours."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel

from hygge.state.clock import as_utc

SCHEMA_VERSION = "2.0"


class JournalRow(BaseModel):
    """What one entity run did. Written for every outcome: success, skip, fail and not_run."""

    # The original hygge's 18 columns, same names, same order.
    entity_run_id: str
    coordinator_run_id: str
    flow_run_id: str
    coordinator: str
    flow: str
    entity: str
    start_time: datetime
    finish_time: datetime | None = None
    status: str  # success | skip | fail | not_run
    run_type: str
    row_count: int | None = None
    duration: float | None = None
    primary_key: str | None = None
    watermark_column: str | None = None
    watermark_type: str | None = None
    watermark: str | None = None
    message: str | None = None
    schema_version: str = SCHEMA_VERSION
    # hygge's additions.
    window_from: str | None = None  # exclusive lower bound of the run's window
    window_to: str | None = None  # inclusive upper bound fixed at begin
    files: int | None = None  # files in the window (file homes)
    chunks: int | None = None
    resumed: int = 0  # how many times this run was resumed from a checkpoint
    error_type: str | None = None
    home: str | None = None
    store: str | None = None
    host: str | None = None


@dataclass(frozen=True)
class JournalRead:
    """Journal rows, and the journal entries that could not be read as rows: (where, why)."""

    rows: list[JournalRow]
    skipped: list[tuple[str, str]] = field(default_factory=list)


def newest_first(row: JournalRow) -> tuple[datetime, datetime]:
    """The journal's order, by when each event happened: reverse-sort rows on this key.

    A resumed run keeps the start_time of its first attempt, so sorting on start_time would
    put a refusal written meanwhile above the success that finished after it.
    """
    started = as_utc(row.start_time)
    return (as_utc(row.finish_time) if row.finish_time else started, started)
