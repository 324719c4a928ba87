"""Watermark handling inside a chunk: check the column, filter the window, track the maximum."""

from __future__ import annotations

import polars as pl

from hygge.engine.batches import from_json_scalar, later, max_value, watermark_type
from hygge.engine.margin import Bound, Margin, lookback_delta, minus, read_margin
from hygge.engine.models import Checkpoint, EntityTask
from hygge.errors import ConfigError, DataError
from hygge.state.base import StateBackend
from hygge.types import RunType
from hygge.wording import with_article


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
        if self.kind is not None:
            self._typed(self.kind)

    def apply(self, batch: pl.DataFrame, where: str) -> pl.DataFrame:
        """The batch's rows inside the window, not loaded before; updates the maximum."""
        self._check(batch, where)
        if self.incremental:
            batch = batch.filter(self._window(batch.schema[self.column]))
            if self.margin is not None:
                batch = self.margin.drop_seen(batch, self.lower)
        if batch.height:
            self.candidate = later(self.candidate, max_value(batch, self.column))
            if self.margin is not None:
                self.margin.remember(batch, self.candidate)  # type: ignore[arg-type]
        return batch

    def save_margin(self, chunks: int) -> None:
        """Persist the margin as of this chunk, before the chunk's checkpoint names it."""
        data = self.margin.to_bytes() if self.margin is not None else None
        if data is not None:
            name = pending_margin(self.cp, chunks)
            self.state.save_margin(self.task.flow, self.task.entity, data, name)

    def _check(self, batch: pl.DataFrame, where: str) -> None:
        if self.column not in batch.columns:
            raise DataError(
                f"{where}: watermark column '{self.column}' is not in the data (columns: "
                f"{', '.join(batch.columns)}); fix `watermark.column` for "
                f"{self.task.qualified_name}"
            )
        kind = watermark_type(batch.schema[self.column])
        if self.kind is None:
            self._typed(kind)
        elif kind != self.kind:
            raise DataError(
                f"{where}: watermark column '{self.column}' holds {kind} values, but the stored "
                f"watermark is {with_article(self.kind)}; reload once with "
                f"`hygge go --full-drop --entity {self.task.qualified_name}`"
            )

    def _typed(self, kind: str) -> None:
        self.kind = kind
        self.lower = from_json_scalar(self.cp.window.lower, kind)  # type: ignore[assignment]
        self.upper = from_json_scalar(self.cp.window.upper, kind)  # type: ignore[assignment]
        self.floor = self.lower
        if self.config.lookback is None:
            return
        try:
            delta = lookback_delta(self.config.lookback, kind)
        except ConfigError as exc:
            file, line = self.task.origins.get("watermark.lookback", (None, None))
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
        if self.floor is not None:
            condition = condition & (pl.col(self.column) > pl.lit(self.floor).cast(dtype))
        if self.upper is not None:
            condition = condition & (pl.col(self.column) <= pl.lit(self.upper).cast(dtype))
        if self.cp.window.files is not None:
            # A file window is closed by its file list: rows without a watermark value come
            # with their new file and load once, like its other rows, on every run alike.
            return condition | pl.col(self.column).is_null()
        return condition
