"""Key ranges of a SQL home's window: equal steps or quantile bounds over numeric, date and
timestamp spans."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest

from hygge.errors import DataError
from hygge.homes.sql.partitions import (
    check_partition_type,
    key_partitions,
    quantile_partitions,
    quantile_ranks,
)


def _bounds(low: object, high: object, count: int) -> list[tuple[object, object]]:
    return [(p.lower, p.upper) for p in key_partitions("k", low, high, count, "home")]


def test_integer_ranges_cover_the_span_with_unbounded_ends() -> None:
    assert _bounds(1, 10, 3) == [(None, 5), (5, 8), (8, None)]
    assert _bounds(7, 7, 4) == [(None, None)]  # one value: one partition
    assert _bounds(1, 3, 8) == [(None, 2), (2, 3), (3, None)]  # fewer values than partitions


def test_timestamp_date_decimal_and_float_ranges() -> None:
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert _bounds(start, start + dt.timedelta(hours=4), 2) == [
        (None, "2026-01-01T02:00:00+00:00"), ("2026-01-01T02:00:00+00:00", None),
    ]  # fmt: skip
    assert _bounds(dt.date(2026, 1, 1), dt.date(2026, 1, 31), 2) == [
        (None, "2026-01-16"), ("2026-01-16", None),
    ]  # fmt: skip
    assert _bounds(Decimal("0.00"), Decimal("10.00"), 2) == [(None, "5.00"), ("5.00", None)]
    assert _bounds(0.0, 1.0, 4) == [(None, 0.25), (0.25, 0.5), (0.5, 0.75), (0.75, None)]


def test_an_empty_window_is_one_partition() -> None:
    assert _bounds(None, None, 4) == [(None, None)]


def test_text_keys_are_refused_naming_the_column() -> None:
    with pytest.raises(DataError, match="'k' holds str values"):
        key_partitions("k", "a", "z", 2, "home")
    with pytest.raises(DataError, match="'note' is String"):
        check_partition_type("note", pl.String(), "home")
    for dtype in (pl.Int32(), pl.Float64(), pl.Decimal(10, 2), pl.Date(), pl.Datetime("us")):
        check_partition_type("k", dtype, "home")


def test_quantile_ranks_split_the_rows_in_equal_shares() -> None:
    assert quantile_ranks(1000, 4) == [250, 500, 750]
    assert quantile_ranks(3, 8) == [1, 2]  # fewer rows than partitions: no rank repeated
    assert quantile_ranks(0, 4) == [] and quantile_ranks(1, 4) == []


def test_quantile_bounds_that_repeat_or_equal_the_lowest_value_collapse() -> None:
    parts = quantile_partitions("k", 1, 90, [1, 1, 5, 5, 90], "home")
    assert [(p.lower, p.upper) for p in parts] == [(None, 5), (5, 90), (90, None)]
    one = quantile_partitions("k", 7, 7, [7, 7, 7], "home")
    assert [(p.lower, p.upper) for p in one] == [(None, None)]
    day = quantile_partitions("d", dt.date(2026, 1, 1), dt.date(2026, 3, 1),
                              [dt.date(2026, 2, 1)], "home")  # fmt: skip
    assert [(p.lower, p.upper) for p in day] == [(None, "2026-02-01"), ("2026-02-01", None)]


def test_quantile_bounds_of_another_type_are_refused_naming_the_column() -> None:
    with pytest.raises(DataError, match="'k' holds str values"):
        quantile_partitions("k", 1, 9, ["5"], "home")
