"""Key values between a SQL home's positions (JSON) and the values it binds.

A position records each key column's last value as JSON: datetimes, dates and times as ISO
8601, decimals as text, bytes as hex. Read back, a value takes the Python type of its column
(by the polars type the driver described), so a bound `keys > position` compares like with
like."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl

from hygge.homes.sql.drivers import SqlSchema
from hygge.types import JsonScalar


def to_json(value: object) -> JsonScalar:
    """A key value as JSON (datetimes, dates, times as ISO 8601; decimals as text)."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def from_json(value: JsonScalar, dtype: pl.DataType | None) -> object:
    """A JSON key value as the Python value of a column of `dtype`, for binding."""
    if value is None or dtype is None:
        return value
    if isinstance(value, str) and dtype.is_temporal():
        return _temporal(value, dtype)
    if isinstance(dtype, pl.Decimal):
        return Decimal(str(value))
    if (dtype.is_integer() or dtype.is_float()) and not isinstance(value, bool):
        return int(str(value)) if dtype.is_integer() else float(str(value))
    if isinstance(dtype, pl.Binary) and isinstance(value, str):
        return bytes.fromhex(value)
    return value


def typed(values: dict[str, JsonScalar], schema: SqlSchema) -> dict[str, object]:
    """Each key column's JSON value as the value to bind for its column's type."""
    return {key: from_json(value, schema.get(key)) for key, value in values.items()}


def _temporal(value: str, dtype: pl.DataType) -> object:
    if isinstance(dtype, pl.Datetime):
        moment = dt.datetime.fromisoformat(value)
        if dtype.time_zone is not None and moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return moment
    if isinstance(dtype, pl.Date):
        return dt.date.fromisoformat(value[:10])
    if isinstance(dtype, pl.Time):
        return dt.time.fromisoformat(value)
    return value
