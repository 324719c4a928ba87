"""Column types: parse them from config text, and fit them to what each text format carries.

CSV and NDJSON files hold text, not types. A reader fixes one schema for a whole window and
reads each column in a form the polars reader can parse (its *wire* type), then converts it to
the window's type, so a column keeps its type from the first batch to the last.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import polars as pl

from hygge.errors import ConfigError, DataError
from hygge.wording import noun_for

_SIMPLE: dict[str, pl.DataType] = {
    **{n: getattr(pl, n.capitalize())() for n in ("int8", "int16", "int32", "int64", "int128")},
    **{f"u{n}": getattr(pl, f"UInt{n[3:]}")() for n in ("int8", "int16", "int32", "int64")},
    "i8": pl.Int8(), "i16": pl.Int16(), "i32": pl.Int32(), "i64": pl.Int64(), "int": pl.Int64(),
    "u8": pl.UInt8(), "u16": pl.UInt16(), "u32": pl.UInt32(), "u64": pl.UInt64(),
    "float32": pl.Float32(), "float64": pl.Float64(), "f32": pl.Float32(), "f64": pl.Float64(),
    "float": pl.Float64(), "double": pl.Float64(), "bool": pl.Boolean(), "boolean": pl.Boolean(),
    "str": pl.String(), "string": pl.String(), "utf8": pl.String(), "binary": pl.Binary(),
    "date": pl.Date(), "time": pl.Time(), "datetime": pl.Datetime("us"),
    "duration": pl.Duration("us"), "decimal": pl.Decimal(), "categorical": pl.Categorical(),
    "null": pl.Null(),
}  # fmt: skip
_PARAMETRIC = re.compile(r"(datetime|duration|decimal)\s*\((.*)\)", re.IGNORECASE)
_TEXT_ONLY = (pl.Date, pl.Datetime, pl.Time, pl.Duration, pl.Decimal, pl.Categorical, pl.Enum)
_SMALL_INTS = (pl.Int8, pl.Int16, pl.UInt8, pl.UInt16)
CSV_UNWRITABLE = (pl.Binary, pl.List, pl.Array, pl.Struct, pl.Duration, pl.Object)
NDJSON_UNWRITABLE = (pl.Binary, pl.Duration, pl.Object)


def parse_dtype(value: Any, *, column: str = "") -> pl.DataType:
    """A polars type from config text such as `Int64`, `Datetime(ms, UTC)`, `Decimal(38, 2)`."""
    if isinstance(value, pl.DataType):
        return value
    if isinstance(value, type) and issubclass(value, pl.DataType):
        return value()
    text = str(value).strip()
    if text.lower() in _SIMPLE:
        return _SIMPLE[text.lower()]
    match = _PARAMETRIC.fullmatch(text)
    if match:
        kind, args = match.group(1).lower(), [a.strip() for a in match.group(2).split(",")]
        if kind == "datetime" and args[0] in ("ns", "us", "ms") and len(args) <= 2:
            return pl.Datetime(args[0], args[1] if len(args) == 2 else None)  # type: ignore[arg-type]
        if kind == "duration" and len(args) == 1 and args[0] in ("ns", "us", "ms"):
            return pl.Duration(args[0])  # type: ignore[arg-type]
        if kind == "decimal" and len(args) == 2 and all(a.isdigit() for a in args):
            return pl.Decimal(int(args[0]), int(args[1]))
    raise ConfigError(
        f"unknown column type {text!r}" + (f" for column {column!r}" if column else ""),
        hint="use a polars type name: Int64, Float64, String, Boolean, Date, Datetime(us, UTC), "
        "Decimal(38, 2), Time, Categorical",
    )


def parse_schema(mapping: Mapping[str, Any]) -> dict[str, pl.DataType]:
    """Every value of a `{column: type}` mapping parsed with `parse_dtype`."""
    return {name: parse_dtype(value, column=name) for name, value in mapping.items()}


def dtype_text(dtype: pl.DataType) -> str:
    """A type as config text that `parse_dtype` reads back (`Datetime(us, UTC)`, `Int64`)."""
    if isinstance(dtype, pl.Datetime):
        zone = f", {dtype.time_zone}" if dtype.time_zone else ""
        return f"Datetime({dtype.time_unit}{zone})"
    if isinstance(dtype, pl.Duration):
        return f"Duration({dtype.time_unit})"
    if isinstance(dtype, pl.Decimal):
        return f"Decimal({dtype.precision}, {dtype.scale})"
    return str(dtype)


def wire_type(fmt: str, dtype: pl.DataType) -> pl.DataType:
    """The type the `fmt` reader is asked for, to be converted to `dtype` after reading."""
    if fmt == "csv" and isinstance(dtype, pl.Null):
        return pl.String()
    if fmt != "ndjson":
        return dtype
    if isinstance(dtype, _TEXT_ONLY):
        return pl.String()
    if isinstance(dtype, _SMALL_INTS):
        return pl.Int64()
    return dtype


def convert_expr(name: str, wire: pl.DataType, target: pl.DataType) -> pl.Expr:
    """An expression turning a column read as `wire` into `target` (strict: bad values fail)."""
    col = pl.col(name)
    if isinstance(wire, pl.String) and isinstance(target, pl.Datetime):
        return col.str.to_datetime(time_unit=target.time_unit, time_zone=target.time_zone)
    if isinstance(wire, pl.String) and isinstance(target, pl.Date):
        return col.str.to_date()
    if isinstance(wire, pl.String) and isinstance(target, pl.Time):
        return col.str.to_time()
    return col.cast(target)


def check_writable(frame: pl.DataFrame, fmt: str) -> None:
    """Raise a DataError naming the columns `fmt` cannot carry (never stringify silently)."""
    if fmt == "parquet":
        return
    unwritable = CSV_UNWRITABLE if fmt == "csv" else NDJSON_UNWRITABLE
    bad = [f"{n} ({t})" for n, t in frame.schema.items() if _holds(t, unwritable)]
    if bad:
        raise DataError(
            f"{fmt} cannot carry {noun_for(len(bad), 'column')} {', '.join(bad)}; write this "
            "entity as parquet, or cast or drop these columns at the home"
        )
    if fmt == "ndjson":
        _check_finite(frame)


def _holds(dtype: object, kinds: tuple[type[pl.DataType], ...]) -> bool:
    if isinstance(dtype, kinds):
        return True
    if isinstance(dtype, pl.List | pl.Array):
        return _holds(dtype.inner, kinds)
    if isinstance(dtype, pl.Struct):
        return any(_holds(f.dtype, kinds) for f in dtype.fields)
    return False


def _check_finite(frame: pl.DataFrame) -> None:
    floats = [n for n, t in frame.schema.items() if isinstance(t, pl.Float32 | pl.Float64)]
    if not floats:
        return
    flags = frame.select(pl.col(floats).is_finite().not_().any())  # NaN/inf; nulls are fine
    bad = [name for name in floats if flags[name][0]]
    if bad:
        raise DataError(
            f"ndjson cannot carry NaN or infinite values (JSON has none; they would become "
            f"null) in {noun_for(len(bad), 'column')} {', '.join(bad)}; write this entity as "
            "parquet or csv"
        )
