"""The lookback margin: re-read a little below the watermark without loading a row twice.

Sources whose rows commit late, or whose timestamps are truncated, can hold rows at or below
the last watermark that the last run could not see. With `watermark.lookback`, a run reads from
`last - lookback` instead of `last`; rows in that margin whose key (key_columns + watermark
value) was loaded before are dropped, the others are new and kept. The keys loaded within
`lookback` of the highest watermark are remembered in state for the next run.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta

import polars as pl

from hygge.errors import ConfigError, DataError
from hygge.wording import with_article

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")

Bound = datetime | date | int | str


def lookback_delta(lookback: str | int | float | None, kind: str) -> timedelta | int | None:
    """`lookback` for a watermark type: a timedelta for datetime/date, an integer for int."""
    if lookback is None:
        return None
    if kind in {"datetime", "date"}:
        if isinstance(lookback, int | float):
            return timedelta(seconds=lookback)
        match = _DURATION.match(lookback)
        if match is None:
            raise ConfigError(
                f"watermark.lookback '{lookback}' is not a duration",
                hint="write it as a number and a unit: 30s, 15m, 2h, 1d, 1w",
            )
        return timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})
    if kind == "int":
        if isinstance(lookback, int) or (isinstance(lookback, str) and lookback.isdigit()):
            return int(lookback)
        raise ConfigError(
            f"watermark.lookback for an integer column must be a whole number, not '{lookback}'"
        )
    raise ConfigError(
        f"watermark.lookback does not apply to {with_article(kind)} watermark column",
        hint="remove lookback, or use a datetime, date or integer watermark column",
    )


def minus(value: Bound, delta: timedelta | int) -> Bound:
    """`value - delta` for the watermark's type (dates move by whole days, rounding down)."""
    if isinstance(value, datetime) and isinstance(delta, timedelta):
        return value - delta
    if isinstance(value, date) and isinstance(delta, timedelta):
        return value - timedelta(days=-(-delta.total_seconds() // 86_400))
    if isinstance(value, int) and isinstance(delta, int):
        return value - delta
    raise DataError(f"cannot apply a lookback of {delta!r} to the watermark value {value!r}")


class Margin:
    """Keys loaded within the lookback margin: what earlier runs loaded, plus this run's rows."""

    def __init__(
        self,
        keys: list[str],
        column: str,
        delta: timedelta | int,
        seen: pl.DataFrame | None,
        kept: pl.DataFrame | None = None,
    ) -> None:
        self.columns = [*keys, column]
        self.column = column
        self.delta = delta
        # Loaded by earlier runs (the margin as this run began): matching re-read rows drop.
        self.seen = seen
        # The margin as this run goes: earlier runs' plus this run's rows (a resumed run
        # continues the one its last checkpoint saved).
        self.kept = kept if kept is not None else (seen.clone() if seen is not None else None)

    def drop_seen(self, batch: pl.DataFrame, lower: Bound | None) -> pl.DataFrame:
        """Rows at or below the last watermark that an earlier run already loaded are dropped."""
        if self.seen is None or self.seen.height == 0 or lower is None:
            return batch
        missing = [c for c in self.columns if c not in batch.columns]
        if missing:
            raise DataError(f"watermark.key_columns {missing} are not in the data")
        return batch.join(
            self.seen.select(self.columns), on=self.columns, how="anti", nulls_equal=True
        )

    def remember(self, batch: pl.DataFrame, highest: Bound | None) -> None:
        """Add the batch's keys; forget those more than `lookback` below the highest value."""
        if highest is None or batch.height == 0:
            return
        rows = batch.select(self.columns)
        if self.kept is not None:
            rows = pl.concat([self.kept, rows.cast(self.kept.schema)])
        floor = minus(highest, self.delta)
        self.kept = rows.filter(pl.col(self.column) > pl.lit(floor)).unique(maintain_order=False)

    def to_bytes(self) -> bytes | None:
        if self.kept is None:
            return None
        buffer = io.BytesIO()
        self.kept.write_parquet(buffer)
        return buffer.getvalue()


def read_margin(data: bytes | None) -> pl.DataFrame | None:
    return None if data is None else pl.read_parquet(io.BytesIO(data))
