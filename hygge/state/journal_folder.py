"""The local journal: a folder of parquet files, one per journal row, never rewritten.

    <journal_dir>/<flow>/<entity>/<start %Y%m%dT%H%M%S%fZ>_<entity_run_id>_<status>_<event>.parquet

A run that is cancelled, found interrupted and resumed appends a row for each event (`fail`
rows with their error types, then `success`) under the same entity_run_id. `<event>` is a
digest of what happened (status, error type, message, counts, resumes, watermark), not of
when: the same event written again (a retried step) names the same file and is a no-op. Every file
holds JOURNAL_SCHEMA exactly, so `pl.scan_parquet("<journal_dir>/**/*.parquet")` and DuckDB's
`read_parquet('<journal_dir>/**/*.parquet')` read the whole journal.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from hygge.errors import StateError
from hygge.state.atomic import write_atomic
from hygge.state.clock import as_utc
from hygge.state.journal import JournalRead, JournalRow
from hygge.state.journal_frame import JOURNAL_SCHEMA, journal_frame, rows_from_frame
from hygge.state.layout import StateLayout

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
FILE_COLUMN = "__journal_file"


def write_journal_row(layout: StateLayout, row: JournalRow) -> Path:
    """Append one row as a new parquet file; earlier files are never touched.

    One row per event of an entity run: writing the same event again — a commit repeated
    after a crash just after its journal write, finishing later — keeps the first, a no-op.
    """
    path = layout.journal_folder(row.flow, row.entity) / journal_file_name(row)
    write_atomic(path, journal_parquet(row), overwrite=False)
    return path


def journal_file_name(row: JournalRow) -> str:
    """`<start>_<entity_run_id>_<status>_<event>.parquet`: the same event, the same name."""
    stem = "_".join(
        (
            as_utc(row.start_time).strftime("%Y%m%dT%H%M%S%fZ"),
            _UNSAFE.sub("-", row.entity_run_id),
            _UNSAFE.sub("-", row.status),
            event_digest(row),
        )
    )
    return f"{stem}.parquet"


def journal_parquet(row: JournalRow) -> bytes:
    """One journal row as the bytes of a parquet file holding JOURNAL_SCHEMA exactly.

    Without column statistics: a one-row file gains nothing from min/max pruning, and
    computing them was 40 % of the write (0.5 ms of CPU per entity run)."""
    buffer = io.BytesIO()
    journal_frame([row]).write_parquet(buffer, statistics=False)
    return buffer.getvalue()


def event_digest(row: JournalRow) -> str:
    """Eight hex digits naming what a row records; its times (start, finish) play no part."""
    event = row.model_dump(
        mode="json",
        include={
            "status",
            "error_type",
            "message",
            "row_count",
            "files",
            "chunks",
            "resumed",
            "watermark",
        },
    )
    text = json.dumps(event, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def read_journal_rows(
    layout: StateLayout,
    flows: Sequence[str] = (),
    entities: Sequence[str] = (),
    limit: int | None = None,
) -> list[JournalRow]:
    """Rows newest event first (`newest_first`); each non-empty filter narrows.

    `flows` are flow names; `entities` are `flow.entity` names or bare entity names.
    """
    files = _journal_files(layout.journal_dir, flows, entities)
    if not files:
        return []
    return select_rows(_scan(files, layout.journal_dir), flows, entities, limit)


def read_readable_journal_rows(
    layout: StateLayout,
    flows: Sequence[str] = (),
    entities: Sequence[str] = (),
    limit: int | None = None,
) -> JournalRead:
    """As read_journal_rows, but files that cannot be read are skipped and named, not fatal."""
    files = _journal_files(layout.journal_dir, flows, entities)
    skipped: list[tuple[Path, str]] = []
    try:
        frame = _scan_lazy(files).collect() if files else None
    except (pl.exceptions.PolarsError, OSError):
        skipped = [(path, why) for path in files if (why := _unreadable(path)) is not None]
        bad = {path for path, _ in skipped}
        good = [path for path in files if path not in bad]
        frame = _scan(good, layout.journal_dir) if good else None
    rows = [] if frame is None else select_rows(frame, flows, entities, limit)
    return JournalRead(rows, [(str(path), why) for path, why in skipped])


def _unreadable(path: Path) -> str | None:
    """Why one journal file cannot be read, or None when it can."""
    try:
        _scan_lazy([path]).collect()
    except (pl.exceptions.PolarsError, OSError) as error:
        text = " ".join(str(error).split())  # one line, whatever the reader said
        return text[:200] or type(error).__name__
    return None


def select_rows(
    frame: pl.DataFrame, flows: Sequence[str], entities: Sequence[str], limit: int | None
) -> list[JournalRow]:
    """The rows of `frame` (JOURNAL_SCHEMA plus FILE_COLUMN) the filters keep, newest first."""
    if flows:
        frame = frame.filter(pl.col("flow").is_in(list(flows)))
    if entities:
        dotted = pl.concat_str(pl.col("flow"), pl.lit("."), pl.col("entity"))
        wanted = list(entities)
        frame = frame.filter(dotted.is_in(wanted) | pl.col("entity").is_in(wanted))
    frame = frame.sort(
        [pl.coalesce("finish_time", "start_time"), "start_time", FILE_COLUMN], descending=True
    )
    if limit is not None:
        frame = frame.head(max(limit, 0))
    return rows_from_frame(frame.drop(FILE_COLUMN))


def _journal_files(journal_dir: Path, flows: Sequence[str], entities: Sequence[str]) -> list[Path]:
    """The journal files whose folders can match the filters (a cheap pre-selection)."""
    selected: list[Path] = []
    for flow_dir in _subfolders(journal_dir):
        if flows and flow_dir.name not in flows:
            continue
        for entity_dir in _subfolders(flow_dir):
            dotted = f"{flow_dir.name}.{entity_dir.name}"
            if entities and dotted not in entities and entity_dir.name not in entities:
                continue
            selected.extend(sorted(entity_dir.glob("*.parquet")))
    return selected


def journal_entity_names(journal_dir: Path) -> list[str]:
    """`flow.entity` for every entity folder in the journal."""
    return [
        f"{flow_dir.name}.{entity_dir.name}"
        for flow_dir in _subfolders(journal_dir)
        for entity_dir in _subfolders(flow_dir)
    ]


def _subfolders(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    except FileNotFoundError:
        return []
    except OSError as error:
        raise StateError(
            f"cannot list journal folder {folder}: {error.strerror or error}. "
            "Check that the state folder is readable."
        ) from error


def _scan_lazy(files: Sequence[Path]) -> pl.LazyFrame:
    # Columns a later hygge adds are ignored and columns an older one lacked read as nulls.
    return pl.scan_parquet(
        list(files),
        schema=JOURNAL_SCHEMA,
        hive_partitioning=False,
        missing_columns="insert",
        extra_columns="ignore",
        include_file_paths=FILE_COLUMN,
    )


def _scan(files: Sequence[Path], journal_dir: Path) -> pl.DataFrame:
    """Read every file, or raise StateError naming the first unreadable one."""
    try:
        return _scan_lazy(files).collect()
    except (pl.exceptions.PolarsError, OSError) as error:
        for path in files:
            try:
                _scan_lazy([path]).collect()
            except (pl.exceptions.PolarsError, OSError) as culprit:
                raise StateError(
                    f"journal file {path} cannot be read as a journal row ({culprit}). "
                    "It may be from an interrupted copy or edited by hand: move it out of "
                    f"{journal_dir} (rows in other files are unaffected)."
                ) from culprit
        raise StateError(f"cannot read the journal under {journal_dir}: {error}") from error
