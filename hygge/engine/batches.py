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
    """Make `batch` match the run's schema, or say exactly which column differs and where."""
    if batch.schema == schema:
        return batch
    missing = [name for name in schema if name not in batch.schema]
    extra = [name for name in batch.schema if name not in schema]
    if missing or extra:
        raise DataError(
            f"{where}: columns differ from the earlier batches of this run "
            f"(missing: {missing or 'none'}; unexpected: {extra or 'none'}). "
            "One entity must have one set of columns: split files with other columns into "
            "their own entity, or align the source."
        )
    try:
        return batch.select(pl.col(name).cast(dtype, strict=True) for name, dtype in schema.items())
    except pl.exceptions.PolarsError as exc:
        diffs = [
            f"{name}: {batch.schema[name]} vs {dtype}"
            for name, dtype in schema.items()
            if batch.schema[name] != dtype
        ]
        raise DataError(
            f"{where}: column types differ from earlier batches and cannot be converted "
            f"safely ({'; '.join(diffs)}). Fix the source types or set a schema in format_options."
        ) from exc


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
    """Inverse of to_json_scalar for a known watermark type."""
    if value is None or kind is None:
        return value
    if kind == "datetime" and isinstance(value, str):
        return datetime.fromisoformat(value)
    if kind == "date" and isinstance(value, str):
        return date.fromisoformat(value)
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
