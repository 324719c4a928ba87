"""Watermark handling inside a chunk: check the column, filter the window, track the maximum."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from hygge.engine.batches import (
    from_json_scalar,
    later,
    max_value,
    to_json_scalar,
    watermark_type,
)
from hygge.engine.margin import Bound, Margin, lookback_delta, minus, read_margin
from hygge.engine.models import Checkpoint, EntityTask
from hygge.errors import ConfigError, DataError
from hygge.state.base import StateBackend
from hygge.types import RunType
from hygge.wording import with_article

_TYPE_NAMES = {"datetime": "Datetime", "date": "Date", "int": "Int64", "string": "String"}


def pending_margin(checkpoint: Checkpoint, chunks: int) -> str:
    """The name of a run's margin as of its `chunks`-th chunk."""
    return f"{checkpoint.entity_run_id[:12]}-{chunks:06d}"


class WatermarkFilter:
    """Applies `watermark:` to batches: `lower < column <= upper`, lookback, maximum so far."""

    def __init__(self, task: EntityTask, checkpoint: Checkpoint, state: StateBackend) -> None:
        assert task.watermark is not None
        self.task = task
        self.config = task.watermark
        self.column = task.watermark.column
        self.cp = checkpoint
        self.state = state
        self.incremental = task.run_type is not RunType.FULL_DROP
        self.kind = checkpoint.watermark_type
        self.candidate = from_json_scalar(checkpoint.candidate_watermark, self.kind)
        self.lower: Bound | None = None
        self.upper: Bound | None = None
        self.floor: Bound | None = None  # the lower bound minus the lookback margin
        self.margin: Margin | None = None
        self.rows_read = checkpoint.rows_read
        self.late_rows = checkpoint.late_rows
        self.late_files = list(checkpoint.late_files)
        if self.kind is not None:
            self._typed(self.kind)

    def apply(self, batch: pl.DataFrame, where: str, file: str | None = None) -> pl.DataFrame:
        """The batch's rows inside the window, not loaded before; updates the maximum."""
        self._check(batch, where)
        self.rows_read += batch.height
        if self.incremental:
            self._count_late(batch, where, file)
            batch = batch.filter(self._window(batch.schema[self.column]))
            if self.margin is not None:
                batch = self.margin.drop_seen(batch, self.lower)
        if batch.height:
            self.candidate = later(self.candidate, max_value(batch, self.column))
            if self.margin is not None:
                self.margin.remember(batch, self.candidate)  # type: ignore[arg-type]
        return batch

    @property
    def streamable(self) -> bool:
        """True when `filter_lazy` does all `apply` does: no lookback margin to drop seen rows
        by key, and no late rows to count or refuse per file."""
        late_counted = (
            self.incremental
            and self.cp.window.files is not None
            and self.cp.window.lower is not None
            and self.config.late_rows != "load"
        )
        return self.config.lookback is None and not late_counted

    def filter_lazy(self, frame: pl.LazyFrame, where: str) -> pl.LazyFrame:
        """`apply` for a lazy scan (only when `streamable`): the column checked against the
        scan's schema, the rows outside the window filtered out. The caller counts the rows
        read and takes the maximum of what it keeps (`take_maximum`)."""
        assert self.streamable
        schema = frame.collect_schema()
        self._check(pl.DataFrame(schema=schema), where)
        return frame.filter(self._window(schema[self.column])) if self.incremental else frame

    def take_maximum(self, value: object, rows_read: int) -> None:
        """Account for a lazily filtered scan: `rows_read` rows, `value` the kept maximum."""
        self.rows_read += rows_read
        self.candidate = later(self.candidate, value)

    def _count_late(self, batch: pl.DataFrame, where: str, file: str | None) -> None:
        """Count (or refuse) a new file's rows at or below the watermark: `late_rows`."""
        if self.cp.window.files is None or self.floor is None or self.config.late_rows == "load":
            return
        bound = pl.lit(self.floor).cast(batch.schema[self.column])
        late = batch.filter(pl.col(self.column) <= bound)
        if not late.height:
            return
        if self.config.late_rows == "fail":
            raise DataError(
                f"{where}: {late.height:,} rows at or below {late_bound(self.task, self.cp)} "
                f"(late rows, e.g. {self.column} = {late[self.column][0]}), and "
                "watermark.late_rows is fail. Set `late_rows: load` to load them, "
                "`late_rows: drop` to leave them out (journaled), or move the file out of the home"
            )
        self.late_rows += late.height
        if file is not None and file not in self.late_files:
            self.late_files.append(file)

    def counts(self) -> dict[str, object]:
        """The checkpoint's record of rows read and late rows left out so far."""
        return {
            "rows_read": self.rows_read,
            "late_rows": self.late_rows,
            "late_files": self.late_files,
        }

    def save_margin(self, chunks: int) -> None:
        """Persist the margin as of this chunk, before the chunk's checkpoint names it."""
        data = self.margin.to_bytes() if self.margin is not None else None
        if data is not None:
            # Fencing: a resumed run reuses this name; an attempt that lost the lock must not
            # overwrite the margin its successor saves.
            self.state.refresh_lock(self.task.flow, self.task.entity, self.cp.attempt_id)
            name = pending_margin(self.cp, chunks)
            self.state.save_margin(self.task.flow, self.task.entity, data, name)

    def _check(self, batch: pl.DataFrame, where: str) -> None:
        if self.column not in batch.columns:
            raise DataError(
                f"{where}: watermark column '{self.column}' is not in the data (columns: "
                f"{', '.join(batch.columns)}); fix `watermark.column` for "
                f"{self.task.qualified_name}"
            )
        dtype = batch.schema[self.column]
        if isinstance(dtype, pl.Null) and not batch.height:
            return  # a file of no rows carries no type (`io.readers.untyped`): rows decide
        kind = watermark_type(dtype, column=self.column, where=where)
        if self.kind is None:
            self._typed(kind, where)
        elif kind != self.kind:
            raise DataError(self._kind_changed(kind, where))
        if isinstance(dtype, pl.Datetime):
            self._check_zone(dtype, where)

    def _check_zone(self, dtype: pl.Datetime, where: str) -> None:
        """Naive and time-zoned datetimes cannot be compared: refuse a switch before staging."""
        known = next((v for v in (self.candidate, self.lower) if isinstance(v, datetime)), None)
        if known is None or (known.tzinfo is None) == (dtype.time_zone is None):
            return
        stored = self.candidate is None  # nothing seen yet: the bound is the stored watermark
        since = "the stored watermark" if stored else "the watermark of earlier files of this run"
        if dtype.time_zone is None:
            text = f"holds datetimes without a time zone, but {since} ({known}) has one"
        else:
            text = f"holds datetimes in {dtype.time_zone}, but {since} ({known}) has no time zone"
        target = f"Datetime(us, {known.tzname() or 'UTC'})" if known.tzinfo else "Datetime(us)"
        reload = ""
        if stored and self.incremental:
            reload = (
                "; if it changed for good, reload once with "
                f"`hygge go --full-drop --entity {self.task.qualified_name}`"
            )
        raise DataError(
            f"{where}: watermark column '{self.column}' {text}; naive and time-zoned datetimes "
            "cannot be compared. Give every file the same kind of timestamp (csv, ndjson: "
            f"format_options: {{schema_overrides: {{{self.column}: {target}}}}})"
            f"{reload}"
        )

    def _kind_changed(self, kind: str, where: str) -> str:
        """Why the column's type no longer matches, with advice for where the old one came from."""
        text = f"{where}: watermark column '{self.column}' holds {kind} values"
        if kind == "string" and self.kind in {"datetime", "date"}:
            text += f" (it reads as text{_parse_hint(self.column)})"
        # A full drop's type comes from its own first file, never from the stored watermark.
        last = None
        if self.incremental:
            last = self.state.get_watermark(self.task.flow, self.task.entity)
        if last is not None and last.column == self.column and last.value_type == self.kind:
            return (
                f"{text}, but the stored watermark is {with_article(self.kind or '')}; if the type "
                "changed for good, reload once with "
                f"`hygge go --full-drop --entity {self.task.qualified_name}`"
            )
        return (
            f"{text}, but earlier files of this run hold {self.kind} values; one watermark "
            "column has one type: align the files, or pin its type in the home's "
            f"format_options (csv, ndjson: schema_overrides: {{{self.column}: "
            f"{_TYPE_NAMES.get(self.kind or '', 'String')}}})"
        )

    def _typed(self, kind: str, where: str | None = None) -> None:
        self.kind = kind
        self.lower = from_json_scalar(self.cp.window.lower, kind)  # type: ignore[assignment]
        self.upper = from_json_scalar(self.cp.window.upper, kind)  # type: ignore[assignment]
        self.floor = self.lower
        if self.config.lookback is None:
            return
        file, line = self.task.origins.get("watermark.lookback", (None, None))
        if kind == "string":
            raise ConfigError(
                f"{where or self.task.qualified_name}: watermark column '{self.column}' reads as "
                f"text (String), so watermark.lookback '{self.config.lookback}' cannot apply"
                f"{_parse_hint(self.column)}",
                file=file,
                line=line,
                hint="or remove lookback (a string watermark compares as text, without one)",
            )
        try:
            delta = lookback_delta(self.config.lookback, kind)
        except ConfigError as exc:
            raise ConfigError(
                f"entity {self.task.qualified_name}: {exc.detail}",
                file=file,
                line=line,
                hint=exc.hint,
            ) from exc
        assert delta is not None
        if self.lower is not None:
            self.floor = minus(self.lower, delta)
        self.margin = Margin(
            self.config.key_columns, self.column, delta, self._seen(), self._kept()
        )

    def _seen(self) -> pl.DataFrame | None:
        """The margin as this run began: what earlier runs loaded (none for a full reload)."""
        if not self.incremental:
            return None
        return read_margin(self.state.load_margin(self.task.flow, self.task.entity))

    def _kept(self) -> pl.DataFrame | None:
        """A resumed run's own margin as of its last checkpoint (None for a new run)."""
        if not self.cp.chunks:
            return None
        name = pending_margin(self.cp, self.cp.chunks)
        return read_margin(self.state.load_margin(self.task.flow, self.task.entity, name))

    def _window(self, dtype: pl.DataType) -> pl.Expr:
        condition = pl.lit(True)
        late_load = self.config.late_rows == "load" and self.cp.window.files is not None
        if self.floor is not None and not late_load:
            condition = condition & (pl.col(self.column) > pl.lit(self.floor).cast(dtype))
        if self.upper is not None:
            condition = condition & (pl.col(self.column) <= pl.lit(self.upper).cast(dtype))
        if self.cp.window.files is not None:
            # A file window is closed by its file list: rows without a watermark value come
            # with their new file and load once, like its other rows, on every run alike.
            return condition | pl.col(self.column).is_null()
        return condition


def _parse_hint(column: str) -> str:
    """How to read a text column as a datetime, for csv and ndjson homes."""
    return (
        f"; if these are timestamps in csv files, parse them with format_options: "
        f"{{try_parse_dates: true}}, or name the type with format_options: "
        f"{{schema_overrides: {{{column}: Datetime}}}} (csv, ndjson)"
    )


def late_bound(task: EntityTask, checkpoint: Checkpoint) -> str:
    """`the watermark 20` (`… minus the lookback 2h`): what late rows are at or below."""
    lower = checkpoint.window.lower
    lookback = task.watermark.lookback if task.watermark is not None else None
    text = f"the watermark {to_json_scalar(lower)}"
    return f"{text} minus the lookback {lookback}" if lookback is not None else text


def late_note(task: EntityTask, checkpoint: Checkpoint) -> str | None:
    """The journal's account of late rows left out (`late_rows: drop`); None if none were."""
    if not checkpoint.late_rows:
        return None
    files = checkpoint.late_files
    shown = ", ".join(files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")
    other = checkpoint.rows_read - checkpoint.rows - checkpoint.late_rows
    seen = f", {other:,} loaded before (lookback margin)" if other > 0 else ""
    return (
        f"read {checkpoint.rows_read:,} rows, kept {checkpoint.rows:,}: "
        f"{checkpoint.late_rows:,} at or below {late_bound(task, checkpoint)} were dropped"
        f"{seen} (late rows, in {shown}); watermark.late_rows is drop: set `late_rows: load` "
        "to load such rows, or `late_rows: fail` to stop on them"
    )
