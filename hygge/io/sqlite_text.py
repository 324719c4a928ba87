"""How hygge keeps polars types in SQLite, which stores no date, time or decimal values.

The SQLite store writes a Date, Datetime or Time as ISO-8601 text (a datetime with a time
zone in UTC) and a Decimal as its exact digits, under a declared type that names what the
text is: `DATE`, `TIMESTAMP` (`TIMESTAMPTZ`: in UTC; `(3)`/`(9)` for ms/ns), `TIME`,
`BOOLEAN` (0/1) and `DECIMAL_TEXT(p, s)` (TEXT affinity: SQLite keeps every digit; a
`DECIMAL` column would turn them into a double). The SQLite home reads a table hygge wrote
(it carries hygge's mark in its creation SQL) back as those types, and binds a position's
values as the same text, so `keys > position` compares like with like.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import polars as pl

MARK = re.compile(r"/\* (hygge:[0-9a-f]{32}) \*/ \(")  # after the name, before the columns
DATETIME_TEXT = "%Y-%m-%d %H:%M:%S%.f"
TIME_TEXT = "%H:%M:%S%.f"
_DIGITS = {"ms": "3", "ns": "9"}
_UNITS = {"3": "ms", "6": "us", "9": "ns"}
_DECLARED = re.compile(
    r"(TIMESTAMPTZ|TIMESTAMP|DATE|TIME|BOOLEAN|DECIMAL_TEXT)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?",
    re.IGNORECASE,
)


def declared_type(dtype: pl.DataType) -> str | None:
    """The declared type hygge's SQLite store gives a column of `dtype` (None: another)."""
    if isinstance(dtype, pl.Datetime):
        digits = _DIGITS.get(dtype.time_unit or "us")
        kind = "TIMESTAMPTZ" if dtype.time_zone else "TIMESTAMP"
        return f"{kind}({digits})" if digits else kind
    if isinstance(dtype, pl.Decimal):
        return f"DECIMAL_TEXT({dtype.precision or 38}, {dtype.scale or 0})"
    return {pl.Date: "DATE", pl.Time: "TIME", pl.Boolean: "BOOLEAN"}.get(dtype.base_type())


def stored_type(declared: str) -> pl.DataType | None:
    """The polars type a column of hygge's `declared` type reads back as (None: another)."""
    found = _DECLARED.fullmatch(declared.strip())
    if found is None:
        return None
    kind, first, second = found.group(1).upper(), found.group(2), found.group(3)
    if kind.startswith("TIMESTAMP"):
        unit = _UNITS.get(first or "6")
        if unit is None or second is not None:
            return None
        zone = "UTC" if kind == "TIMESTAMPTZ" else None
        return pl.Datetime(unit, zone)  # type: ignore[arg-type]
    if kind == "DECIMAL_TEXT":
        return pl.Decimal(int(first), int(second or 0)) if first else None
    if first is not None:
        return None
    return {"DATE": pl.Date(), "TIME": pl.Time(), "BOOLEAN": pl.Boolean()}[kind]


def to_text(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with its dates, datetimes (in UTC), times and decimals as the text kept."""
    texts = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if isinstance(dtype, pl.Datetime):
            if dtype.time_zone:
                column = column.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
            texts.append(column.dt.to_string(DATETIME_TEXT).alias(name))
        elif isinstance(dtype, pl.Time):
            texts.append(column.dt.to_string(TIME_TEXT).alias(name))
        elif isinstance(dtype, pl.Date | pl.Decimal):
            texts.append(column.cast(pl.String).alias(name))
    return frame.with_columns(texts) if texts else frame


def bound(value: object) -> object:
    """A value to bind against such a column: the very text the store wrote for it."""
    if isinstance(value, dt.datetime):
        zone = "UTC" if value.tzinfo is not None else None
        series = pl.Series([value], dtype=pl.Datetime("us", zone))
        return to_text(series.to_frame("v")).item()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return pl.Series([value], dtype=pl.Time).dt.to_string(TIME_TEXT).item()
    if isinstance(value, Decimal):
        return str(value)
    return value


def from_text(frame: pl.DataFrame, types: dict[str, pl.DataType]) -> pl.DataFrame:
    """`frame`'s columns of `types` read back from the text (0/1) the store wrote; raises
    polars' error for a value that is not such text."""
    casts = []
    for name, dtype in types.items():
        if name not in frame.columns or frame.schema[name] == dtype:
            continue
        column = pl.col(name)
        if frame.schema[name] == pl.String:
            if isinstance(dtype, pl.Datetime):
                unit, zone = dtype.time_unit, dtype.time_zone
                column = column.str.to_datetime(DATETIME_TEXT, time_unit=unit, time_zone=zone)
            elif isinstance(dtype, pl.Date):
                column = column.str.to_date("%Y-%m-%d")
            elif isinstance(dtype, pl.Time):
                column = column.str.to_time(TIME_TEXT)
            else:
                column = column.cast(dtype)
        else:
            column = column.cast(dtype)
        casts.append(column.alias(name))
    return frame.with_columns(casts) if casts else frame
