"""Batch-level rules of a run: one schema per run, watermark filtering and tracking."""

from __future__ import annotations

import base64
from datetime import date, datetime

import polars as pl
import pyarrow as pa

from hygge.errors import DataError
from hygge.types import JsonScalar


def encode_schema(batch: pl.DataFrame) -> str:
    """The batch's Arrow schema as base64 IPC, small enough for a checkpoint."""
    schema = batch.head(0).to_arrow().schema
    return base64.b64encode(schema.serialize().to_pybytes()).decode("ascii")


def decode_schema(text: str) -> pl.Schema:
    schema = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(text)))
    return pl.from_arrow(schema.empty_table()).schema  # type: ignore[union-attr]


def conform(batch: pl.DataFrame, schema: pl.Schema, where: str) -> pl.DataFrame:
    """Make `batch` match the entity's schema, or say exactly which column differs and where.

    The schema is the first batch's, or, on an incremental run, that of the data already
    published. A type is converted only when every value survives the round trip unchanged
    (Int64 2 → Float64 2.0 does; 1.5 → 1 does not).
    """
    if batch.schema == schema:
        return batch
    missing = [name for name in schema if name not in batch.schema]
    extra = [name for name in batch.schema if name not in schema]
    if missing or extra:
        raise DataError(
            f"{where}: the columns differ from the entity's (missing: {missing or 'none'}; "
            f"unexpected: {extra or 'none'}). One entity has one set of columns: align the "
            "source, split these files into their own entity, or, if the change is meant, "
            "reload the entity with `hygge go --full-drop`."
        )
    differing = [name for name, dtype in schema.items() if batch.schema[name] != dtype]
    try:
        converted = batch.select(pl.col(n).cast(dtype, strict=True) for n, dtype in schema.items())
        lossy = [name for name in differing if not _round_trips(batch[name], converted[name])]
    except pl.exceptions.PolarsError:
        lossy = differing
    if lossy:
        diffs = "; ".join(
            f"{name}: {batch.schema[name]} here, {schema[name]} before"
            f"{_sample(batch[name], schema[name])}"
            for name in lossy
        )
        raise DataError(
            f"{where}: column types differ from the entity's and converting would change "
            f"values ({diffs}). Fix the source types, pin them with format_options "
            "(schema_overrides), or reload the entity with `hygge go --full-drop`."
        )
    return converted


def _sample(before: pl.Series, dtype: pl.DataType) -> str:
    """`, e.g. 'A0001'`: the first value the conversion to `dtype` loses or changes."""
    after = before.cast(dtype, strict=False)
    try:
        back = after.cast(before.dtype, strict=False)
    except pl.exceptions.PolarsError:
        return ""
    changed = before.is_not_null() & (back.is_null() | (back != before)).fill_null(True)
    if not changed.any():
        return ""
    return f", e.g. {before[int(changed.arg_true()[0])]!r}"


def _round_trips(before: pl.Series, after: pl.Series) -> bool:
    if before.dtype == pl.Null:
        return True
    try:
        back = after.cast(before.dtype, strict=True)
    except pl.exceptions.PolarsError:
        return False
    return back.equals(before, check_dtypes=False, check_names=False, null_equal=True)


def watermark_type(dtype: pl.DataType) -> str:
    """The journal's watermark type for a column dtype; DataError for unusable types."""
    if isinstance(dtype, pl.Datetime):
        return "datetime"
    if isinstance(dtype, pl.Date):
        return "date"
    if dtype.is_integer():
        return "int"
    if isinstance(dtype, pl.String):
        return "string"
    raise DataError(
        f"a watermark column must be a datetime, date, integer or string column, not {dtype}"
    )


def to_json_scalar(value: object) -> JsonScalar:
    """A watermark value as JSON (datetimes and dates as ISO 8601 text)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def from_json_scalar(value: JsonScalar, kind: str | None) -> object:
    """Inverse of to_json_scalar for a known watermark type; DataError when it is not one."""
    if value is None or kind is None:
        return value
    try:
        if kind == "datetime" and isinstance(value, str):
            return datetime.fromisoformat(value)
        if kind == "date" and isinstance(value, str):
            return date.fromisoformat(value)
        if kind == "int" and not isinstance(value, int):
            return int(str(value))
        if kind == "string" and not isinstance(value, str):
            return str(value)
    except ValueError as exc:
        example = {"datetime": "2024-01-31T00:00:00", "date": "2024-01-31", "int": "42"}
        raise DataError(
            f"watermark value {value!r} is not a {kind} (watermark.initial, or the stored "
            f"watermark); write it like {example.get(kind, kind)}"
        ) from exc
    if kind in {"datetime", "date"} and not isinstance(value, str):
        raise DataError(f"watermark value {value!r} is not a {kind}; write it as ISO 8601 text")
    return value


def max_value(batch: pl.DataFrame, column: str) -> object:
    """The largest non-null value of `column` in the batch, or None."""
    return batch.get_column(column).max()


def later(a: object, b: object) -> object:
    """The larger of two watermark values, None-aware."""
    if a is None:
        return b
    if b is None:
        return a
    return a if a >= b else b  # type: ignore[operator]
