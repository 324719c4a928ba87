"""A SQL home's window cut into key ranges (`partitions: N`), each read on its own.

At begin the home reads the smallest and largest value of the partition column inside the
closed window, and cuts that span into N ranges of equal width: `p0` below the first bound
(unbounded, so no row of the window is missed whatever its value), `p1` ... from one bound up
to the next, the last one unbounded above. Each partition reads its range in key order with its
own keyset position, so it is checkpointed and resumed on its own; the engine commits them once.
Equal-width ranges suit keys spread evenly (identities, timestamps); a skewed key makes some
partitions longer than others, never wrong.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import polars as pl

from hygge.errors import DataError
from hygge.homes.base import PartitionSpec
from hygge.homes.positions import KeysetPosition
from hygge.types import JsonScalar

Key = int | float | Decimal | dt.date | dt.datetime


def check_partition_type(column: str, dtype: pl.DataType | None, where: str) -> None:
    """DataError unless `dtype` is a type key ranges can be cut in (numeric, date, timestamp)."""
    if dtype is None:
        return  # the driver cannot say before rows arrive (sqlite3): the values are checked
    if dtype.is_numeric() or isinstance(dtype, pl.Date | pl.Datetime):
        return
    raise DataError(
        f"{where}: partitions need a numeric, date or timestamp column to cut into key "
        f"ranges; '{column}' is {dtype}. Set the home's `partition_column:` to such a column "
        "(an identity or a timestamp), or remove `partitions:`"
    )


def key_partitions(
    column: str, low: object, high: object, count: int, where: str
) -> list[PartitionSpec]:
    """Up to `count` partitions of `[low, high]` (fewer when the span has fewer values)."""
    if low is None or high is None:
        return [PartitionSpec(id="p0", column=column, start=KeysetPosition())]
    if not _a_key(low) or not _a_key(high) or type(low) is not type(high):
        raise DataError(
            f"{where}: partitions need a numeric, date or timestamp column; '{column}' holds "
            f"{type(low).__name__} values ({low!r}). Set the home's `partition_column:` to a "
            "numeric or date column, or remove `partitions:`"
        )
    assert isinstance(low, Key) and isinstance(high, Key)
    bounds: list[Key] = []
    for index in range(1, count):
        bound = _between(low, high, index, count)
        if low < bound <= high and (not bounds or bound > bounds[-1]):  # type: ignore[operator]
            bounds.append(bound)
    edges: list[Key | None] = [None, *bounds, None]
    return [
        PartitionSpec(
            id=f"p{index}",
            column=column,
            lower=_json(lower),
            upper=_json(upper),
            start=KeysetPosition(),
        )
        for index, (lower, upper) in enumerate(itertools.pairwise(edges))
    ]


def _a_key(value: object) -> bool:
    return isinstance(value, int | float | Decimal | dt.date) and not isinstance(value, bool)


def _between(low: Key, high: Key, index: int, count: int) -> Key:
    """The `index`-th of `count` equal steps from `low` to `high`."""
    if isinstance(low, dt.datetime) and isinstance(high, dt.datetime):
        return low + (high - low) * index / count
    if isinstance(low, dt.date) and isinstance(high, dt.date):
        return low + dt.timedelta(days=(high - low).days * index // count)
    if isinstance(low, int) and isinstance(high, int):
        return low + -(-(high - low + 1) * index // count)  # ceiling: integer bounds
    if isinstance(low, Decimal) and isinstance(high, Decimal):
        return low + (high - low) * index / count
    assert isinstance(low, int | float) and isinstance(high, int | float)
    return float(low) + (float(high) - float(low)) * index / count


def _json(value: Key | None) -> JsonScalar:
    if value is None or isinstance(value, int | float):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
