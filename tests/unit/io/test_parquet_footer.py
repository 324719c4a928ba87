"""A parquet file's row count read from its footer in Python agrees with polars' count."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from hygge.io.parquet_footer import footer_row_count
from hygge.io.readers import parquet_row_count

FRAMES = [
    pytest.param(pl.DataFrame({"a": [1]}), id="one-row"),
    pytest.param(pl.DataFrame({"a": []}, schema={"a": pl.Int64}), id="empty"),
    pytest.param(
        pl.DataFrame({"a": range(120_000), "s": [str(i) for i in range(120_000)]}),
        id="many-row-groups",
    ),
    pytest.param(
        pl.DataFrame(
            {
                "list": [[1, 2], [3]],
                "struct": [{"x": 1, "y": "a"}, {"x": 2, "y": None}],
                "flag": [True, False],
                "day": [dt.date(2020, 1, 1), None],
                "price": pl.Series([1, 2]).cast(pl.Decimal(10, 2)),
            }
        ),
        id="nested-and-logical-types",
    ),
]


def polars_count(path: Path) -> int:
    return int(pl.scan_parquet(path).select(pl.len()).collect().item())


@pytest.mark.parametrize("frame", FRAMES)
@pytest.mark.parametrize("compression", ["zstd", "snappy", "uncompressed"])
def test_the_footer_count_is_polars_count(tmp_path, frame, compression):
    path = tmp_path / "part.parquet"
    frame.write_parquet(path, compression=compression, row_group_size=25_000)

    assert footer_row_count(path) == polars_count(path) == frame.height


@pytest.mark.parametrize("frame", FRAMES)
def test_a_sunk_file_is_counted_from_its_footer(tmp_path, frame):
    path = tmp_path / "sunk.parquet"
    frame.lazy().sink_parquet(path)

    assert footer_row_count(path) == frame.height


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty-file"),
        pytest.param(b"PAR1garbagePAR1", id="garbage"),
        pytest.param(b"PAR1" + b"\xff" * 40 + (40).to_bytes(4, "little") + b"PAR1", id="bad"),
        pytest.param(b"not parquet at all, just text", id="text"),
    ],
)
def test_a_file_that_is_not_parquet_gives_none(tmp_path, data):
    path = tmp_path / "broken.parquet"
    path.write_bytes(data)

    assert footer_row_count(path) is None


def test_a_schema_too_wide_to_walk_quickly_is_left_to_polars(tmp_path):
    path = tmp_path / "wide.parquet"
    pl.DataFrame({f"c{i}": [i, i] for i in range(1_000)}).write_parquet(path)

    assert footer_row_count(path) is None
    assert parquet_row_count(path) == 2


def test_a_missing_file_gives_none(tmp_path):
    assert footer_row_count(tmp_path / "gone.parquet") is None
