"""Column types from config text, and what text formats can carry."""

from __future__ import annotations

import polars as pl
import pytest

from hygge.errors import ConfigError, DataError
from hygge.io.schema import check_writable, parse_dtype


@pytest.mark.parametrize(
    ("text", "dtype"),
    [
        pytest.param("Int64", pl.Int64(), id="name"),
        pytest.param("utf8", pl.String(), id="alias"),
        pytest.param("u16", pl.UInt16(), id="short"),
        pytest.param("Datetime(ms, UTC)", pl.Datetime("ms", "UTC"), id="datetime-tz"),
        pytest.param("datetime(ns)", pl.Datetime("ns"), id="datetime"),
        pytest.param("Decimal(38, 2)", pl.Decimal(38, 2), id="decimal"),
        pytest.param("Duration(ms)", pl.Duration("ms"), id="duration"),
        pytest.param(pl.Date, pl.Date(), id="class"),
    ],
)
def test_parse_dtype_reads_polars_type_names(text, dtype):
    assert parse_dtype(text) == dtype


@pytest.mark.parametrize("text", ["Integer", "Datetime(s)", "Decimal(x, 2)", ""])
def test_parse_dtype_rejects_unknown_types_with_a_hint(text):
    with pytest.raises(ConfigError, match="unknown column type") as error:
        parse_dtype(text, column="id")
    assert "Int64" in str(error.value)


def test_nested_unwritable_types_are_found_inside_structs_for_ndjson():
    frame = pl.DataFrame({"ok": [[1]], "deep": [{"blob": b"\x00"}]})
    with pytest.raises(DataError, match=r"deep \(Struct"):
        check_writable(frame, "ndjson")


def test_nulls_in_float_columns_are_fine_for_ndjson():
    check_writable(pl.DataFrame({"ratio": [1.0, None]}), "ndjson")


def test_parquet_carries_every_type():
    check_writable(
        pl.DataFrame({"b": [b"x"], "l": [[1]], "d": pl.Series([1], dtype=pl.Duration)}), "parquet"
    )
