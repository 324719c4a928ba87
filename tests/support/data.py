"""Test data builders and an order-insensitive content hash for "nothing lost, nothing doubled"."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

import polars as pl


def content_hash(frame: pl.DataFrame) -> str:
    """A hash of the rows' content and the column names, ignoring row order.

    Duplicated rows change the hash (a doubled batch is caught); categoricals and enums hash
    as their string values, the logical value a store keeps.
    """
    logical = frame.with_columns(
        pl.col(name).cast(pl.String)
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.Categorical | pl.Enum)
    )
    digest = hashlib.sha256("|".join(logical.columns).encode())
    row_hashes = logical.hash_rows(seed=7).sort().rechunk()
    digest.update(row_hashes.to_arrow().buffers()[1] or b"")
    digest.update(str(frame.height).encode())
    return digest.hexdigest()


def orders(rows: int, *, start: int = 0) -> pl.DataFrame:
    """`rows` orders with ids from `start`: id, customer, amount, updated_at (a watermark)."""
    ids = pl.int_range(start, start + rows, eager=True, dtype=pl.Int64)
    return pl.DataFrame(
        {
            "id": ids,
            "customer": ids.map_elements(lambda i: f"customer-{i % 97}", return_dtype=pl.String),
            "amount": ids.cast(pl.Float64) * 1.25,
            "updated_at": ids.map_elements(
                lambda i: dt.datetime(2024, 1, 1) + dt.timedelta(minutes=i),
                return_dtype=pl.Datetime("us"),
            ),
        }
    )


def split_rows(frame: pl.DataFrame, size: int) -> list[pl.DataFrame]:
    """`frame` cut into consecutive slices of `size` rows (the last may be shorter)."""
    return [frame.slice(offset, size) for offset in range(0, frame.height, size)]


def all_types() -> pl.DataFrame:
    """Three rows, one column per polars type hygge must carry, each with a null."""
    day, moment = dt.date(2024, 2, 29), dt.datetime(2024, 2, 29, 13, 14, 15, 123456)
    return pl.DataFrame(
        [
            pl.Series("int8", [1, None, -8], pl.Int8),
            pl.Series("int64", [2**40, None, -1], pl.Int64),
            pl.Series("uint32", [7, None, 2**32 - 1], pl.UInt32),
            pl.Series("uint64", [1, None, 2**63], pl.UInt64),
            pl.Series("float32", [1.5, None, -0.25], pl.Float32),
            pl.Series("float64", [1e300, None, -2.5], pl.Float64),
            pl.Series("decimal", [Decimal("12.34"), None, Decimal("-0.01")], pl.Decimal(10, 2)),
            pl.Series("string", ["hygge", None, 'æøå, "quoted"\nline'], pl.String),
            pl.Series("binary", [b"\x00\xff", None, b""], pl.Binary),
            pl.Series("boolean", [True, None, False], pl.Boolean),
            pl.Series("date", [day, None, dt.date(1900, 1, 1)], pl.Date),
            pl.Series("datetime_us", [moment, None, dt.datetime(1970, 1, 1)], pl.Datetime("us")),
            pl.Series("datetime_ns", [moment, None, moment], pl.Datetime("ns")),
            pl.Series("datetime_ms", [moment, None, moment], pl.Datetime("ms")),
            pl.Series("datetime_utc", [moment, None, moment], pl.Datetime("us", "UTC")),
            pl.Series(
                "datetime_cph", [moment, None, moment], pl.Datetime("us", "Europe/Copenhagen")
            ),
            pl.Series("time", [dt.time(13, 14, 15, 123456), None, dt.time(0)], pl.Time),
            pl.Series(
                "duration", [dt.timedelta(hours=5), None, dt.timedelta(0)], pl.Duration("us")
            ),
            pl.Series("list", [[1, 2], None, []], pl.List(pl.Int64)),
            pl.Series("struct", [{"a": 1, "b": "x"}, None, {"a": None, "b": "y"}]),
            pl.Series("categorical", ["red", None, "blue"], pl.Categorical),
            pl.Series("enum", ["low", "high", None], pl.Enum(["low", "high"])),
            pl.Series("null", [None, None, None], pl.Null),
        ]
    )


def with_id(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    """`frame`'s `column` next to a row id, for one-type-at-a-time round trips."""
    return frame.select(pl.int_range(0, pl.len(), dtype=pl.Int64).alias("id"), pl.col(column))
