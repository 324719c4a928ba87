"""The journal as polars frames: the parquet columns, in order, and rows to and from them."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from hygge.state.journal import JournalRow

JOURNAL_SCHEMA: dict[str, pl.DataType] = {
    "entity_run_id": pl.String(),
    "coordinator_run_id": pl.String(),
    "flow_run_id": pl.String(),
    "coordinator": pl.String(),
    "flow": pl.String(),
    "entity": pl.String(),
    "start_time": pl.Datetime("us", "UTC"),
    "finish_time": pl.Datetime("us", "UTC"),
    "status": pl.String(),
    "run_type": pl.String(),
    "row_count": pl.Int64(),
    "duration": pl.Float64(),
    "primary_key": pl.String(),
    "watermark_column": pl.String(),
    "watermark_type": pl.String(),
    "watermark": pl.String(),
    "message": pl.String(),
    "schema_version": pl.String(),
    "window_from": pl.String(),
    "window_to": pl.String(),
    "files": pl.Int64(),
    "chunks": pl.Int64(),
    "resumed": pl.Int64(),
    "error_type": pl.String(),
    "home": pl.String(),
    "store": pl.String(),
    "host": pl.String(),
}


def journal_frame(rows: Sequence[JournalRow]) -> pl.DataFrame:
    """Journal rows as a frame with exactly JOURNAL_SCHEMA: column order, dtypes, typed nulls."""
    return pl.DataFrame([row.model_dump() for row in rows], schema=JOURNAL_SCHEMA, orient="row")


def rows_from_frame(frame: pl.DataFrame) -> list[JournalRow]:
    """Journal rows back from a frame; nulls (e.g. columns older files lack) take defaults."""
    return [
        JournalRow.model_validate({k: v for k, v in record.items() if v is not None})
        for record in frame.to_dicts()
    ]
