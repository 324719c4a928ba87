"""`partition_strategy: quantile` of `partitions: N`: the key ranges are cut at
the partition column's quantiles, so on a skewed key (90 % of the rows in 1 % of the span)
each range holds about as many rows; repeated values collapse bounds, rows whose partition
column is NULL are read once (by the first range), dates cut as numbers do. Every dialect
hygge can run here: sqlite and duckdb files, PostgreSQL (mssql's statements are parsed as
T-SQL in tests/unit/homes/test_sql_statements.py)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import polars as pl
import pytest

from hygge.config import load_workspace
from hygge.engine import Selection, plan_run
from hygge.engine.windows import read_spec
from hygge.errors import ConfigError
from hygge.homes.base import PartitionSpec
from tests.support.data import content_hash
from tests.support.sql_sources import write_duckdb, write_postgres, write_sqlite
from tests.support.workspace import read_lake, run, write_workspace

ROWS = 10_000
PG_PROJECT = """\
name: test
connections:
  pg: {type: postgres, url: "%s", password: "${HYGGE_TEST_PG_PASSWORD}"}
"""


def skewed(rows: int = ROWS) -> pl.DataFrame:
    """90 % of the rows with `k` in [0, 1000), the rest spread up to 100 000 (1 % / 99 %);
    `day` skewed the same way; `maybe` NULL on every third row."""
    ids = pl.int_range(1, rows + 1, eager=True, dtype=pl.Int64)
    frame = pl.DataFrame({"id": ids})
    dense = pl.col("id") % 10 != 0
    k = pl.when(dense).then(pl.col("id") % 1000).otherwise(1000 + pl.col("id") * 9)
    return frame.with_columns(
        k=k.cast(pl.Int64),
        day=pl.lit(dt.date(2000, 1, 1)) + pl.duration(days=k),
        maybe=pl.when(pl.col("id") % 3 == 0).then(None).otherwise(pl.col("id")).cast(pl.Int64),
        same=pl.when(pl.col("id") <= rows * 8 // 10).then(5).otherwise(pl.col("id")),
        price=(k.cast(pl.Float64) / 4).cast(pl.Decimal(12, 2)),
    )


@pytest.fixture(params=["sqlite", "duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def source(request, tmp_path, monkeypatch):
    """A workspace root writer for one dialect holding the skewed table as `orders`."""
    frame = skewed()
    kind = request.param
    if kind == "sqlite":  # no decimal type in sqlite
        frame = frame.with_columns(price=pl.col("price").cast(pl.Float64))
    if kind == "postgres":
        postgres = request.getfixturevalue("postgres")
        schema = request.getfixturevalue("pg_schema")
        monkeypatch.setenv("HYGGE_TEST_PG_PASSWORD", postgres.password)
        write_postgres(postgres.conninfo, f'"{schema}"."orders"', frame)
        home = f"{{type: postgres, connection: pg, table: '{schema}.orders', batch_size: 700"
        project = PG_PROJECT % postgres.url
    else:
        path = tmp_path / f"shop.{kind}"
        (write_sqlite if kind == "sqlite" else write_duckdb)(path, "orders", frame)
        home = f"{{type: {kind}, path: {path}, table: orders, batch_size: 700"
        project = "name: test\noptions: {checkpoint_rows: 1000}\n"

    def make(root: Path, settings: str) -> Path:
        flow = f"home: {home}, {settings}}}\nstore: {{type: parquet, path: lake}}\n"
        return write_workspace(root, {"shop": flow + "entities: [orders]\n"}, project)

    make.kind = kind  # type: ignore[attr-defined]
    return make, frame


def window_parts(root: Path) -> list[PartitionSpec]:
    [task] = plan_run(load_workspace(root), Selection()).tasks
    return task.home.open(task.place).open_window(read_spec(task, None, None)).partitions


def counts(frame: pl.DataFrame, parts: list[PartitionSpec], column: str) -> list[int]:
    """Rows of `frame` in each partition's range, as the home reads it (NULLs in the first)."""
    values = frame[column]
    bound = lambda value: value  # noqa: E731
    if isinstance(values.dtype, pl.Date):
        values = values.cast(pl.String)
    if isinstance(values.dtype, pl.Decimal):  # bounds are decimal text
        values, bound = values.cast(pl.Float64), float
    found = []
    for part in parts:
        inside = pl.Series([True] * frame.height)
        if part.lower is not None:
            inside &= values >= bound(part.lower)
        if part.upper is not None:
            below = values < bound(part.upper)
            inside &= below | (values.is_null() if part.lower is None else False)
        found.append(int(inside.fill_null(False).sum()))
    return found


def assert_lake_equals(root: Path, frame: pl.DataFrame) -> None:
    frame = frame.drop("price", strict=False)  # decimals: each driver's own type (rows checked)
    lake = read_lake(root, "orders").select(frame.columns).sort("id")
    if lake["day"].dtype == pl.String:  # sqlite: dates are text
        lake = lake.with_columns(day=pl.col("day").str.to_date())
    assert lake.height == frame.height
    assert content_hash(lake) == content_hash(frame)


def test_quantile_ranges_balance_a_skewed_key_and_land_every_row_once(tmp_path, source):
    make, frame = source
    root = make(tmp_path / "ws", "partitions: 4, partition_column: k, partition_strategy: quantile")
    parts = window_parts(root)
    sizes = counts(frame, parts, "k")
    assert len(parts) == 4 and sum(sizes) == ROWS
    assert max(sizes) <= 2 * min(sizes), sizes
    report = run(root)
    assert report.ok, report.results
    assert_lake_equals(root, frame)


def test_equal_width_ranges_stay_available_and_are_lopsided_on_a_skewed_key(tmp_path, source):
    make, frame = source
    root = make(tmp_path / "ws", "partitions: 4, partition_column: k, partition_strategy: range")
    sizes = counts(frame, window_parts(root), "k")
    assert sum(sizes) == ROWS and max(sizes) > 5 * min(sizes), sizes
    assert run(root).ok
    assert_lake_equals(root, frame)


def test_a_skewed_decimal_key_balances_too(tmp_path, source):
    make, frame = source
    root = make(
        tmp_path / "ws", "partitions: 4, partition_column: price, partition_strategy: quantile"
    )
    parts = window_parts(root)
    # bounds in the type of the driver's MIN (decimal text, or a float: ADBC, sqlite)
    assert len(parts) == 4
    assert max(sizes := counts(frame, parts, "price")) <= 2 * min(sizes), sizes
    report = run(root)
    assert report.ok, report.results
    assert report.results[0].rows == ROWS
    assert_lake_equals(root, frame)


def test_a_value_filling_several_quantiles_collapses_their_bounds(tmp_path, source):
    make, frame = source
    root = make(
        tmp_path / "ws", "partitions: 8, partition_column: same, partition_strategy: quantile"
    )
    parts = window_parts(root)
    assert 1 < len(parts) < 8  # 80 % of the rows hold 5: its quantiles are one bound
    assert sum(counts(frame, parts, "same")) == ROWS
    assert run(root).ok
    assert_lake_equals(root, frame)


def test_rows_whose_partition_column_is_null_are_read_exactly_once(tmp_path, source):
    make, frame = source
    for strategy in ("quantile", "range"):
        root = make(tmp_path / strategy, f"partitions: 3, partition_column: maybe, "
                    f"partition_strategy: {strategy}")  # fmt: skip
        report = run(root)
        assert report.ok, report.results
        assert report.results[0].rows == ROWS
        assert_lake_equals(root, frame)


@pytest.mark.parametrize(  # sqlite stores dates as text, which partitions refuse
    "source", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_a_skewed_date_key_balances_too(tmp_path, source):
    make, frame = source
    root = make(
        tmp_path / "ws", "partitions: 4, partition_column: day, partition_strategy: quantile"
    )
    parts = window_parts(root)
    assert len(parts) == 4 and all(isinstance(p.lower or p.upper, str) for p in parts)
    sizes = counts(frame, parts, "day")
    assert sum(sizes) == ROWS and max(sizes) <= 2 * min(sizes), sizes
    assert run(root).ok
    assert_lake_equals(root, frame)


@pytest.mark.parametrize("source", ["sqlite"], indirect=True)
def test_an_empty_source_is_one_partition_and_no_rows(tmp_path, source):
    make, _ = source
    root = make(tmp_path / "ws", "partitions: 4, partition_column: k, partition_strategy: quantile")
    with sqlite3.connect(tmp_path / "shop.sqlite") as connection:
        connection.execute("DELETE FROM orders")
    assert [(p.lower, p.upper) for p in window_parts(root)] == [(None, None)]
    report = run(root)
    assert report.ok, report.results
    assert report.results[0].rows == 0


def test_an_unknown_partition_strategy_is_refused_naming_the_field(tmp_path):
    write_sqlite(tmp_path / "shop.sqlite", "orders", skewed(10).drop("price"))
    flow = (
        "home: {type: sqlite, path: shop.sqlite, table: orders, partitions: 2, "
        "partition_strategy: ntile}\nstore: lake\nentities: [orders]\n"
    )
    write_workspace(tmp_path, {"shop": flow})
    with pytest.raises(ConfigError, match=r"flow\.yml line 1") as raised:
        load_workspace(tmp_path)
    assert "'ntile' for 'home.partition_strategy'" in str(raised.value)
    assert "'range' or 'quantile'" in str(raised.value)


@pytest.mark.parametrize("source", ["sqlite", "duckdb"], indirect=True)
def test_a_query_source_with_a_watermark_cuts_quantiles_of_its_window(tmp_path, source):
    make, frame = source
    where = "FROM orders WHERE id > 100"
    root = make(
        tmp_path / "ws",
        f"query: 'SELECT id, k {where}', partitions: 4, partition_column: k, "
        "partition_strategy: quantile, key_columns: [id]",
    )
    parts = window_parts(root)
    wanted = frame.filter(pl.col("id") > 100).select("id", "k")
    sizes = counts(wanted, parts, "k")
    assert len(parts) == 4 and sum(sizes) == wanted.height and max(sizes) <= 2 * min(sizes)
    report = run(root)
    assert report.ok, report.results
    lake = read_lake(root, "orders").select("id", "k").sort("id")
    assert content_hash(lake) == content_hash(wanted)


@pytest.mark.postgres
@pytest.mark.parametrize("source", ["postgres"], indirect=True)
@pytest.mark.parametrize("column", ["k", "maybe"])
def test_sampled_quantile_bounds_still_balance_a_skewed_key(
    request, tmp_path, source, monkeypatch, column
):
    """A table past `SAMPLE_ABOVE` rows (lowered here: 10 000 rows are "large") takes its
    bounds from a TABLESAMPLE of about `SAMPLE_ROWS` rows: each range still holds about as
    many rows, every row lands once (NULLs in the first range), and a second plan of the
    same table cuts the same bounds (REPEATABLE)."""
    from hygge.homes.sql import quantiles

    monkeypatch.setattr(quantiles, "SAMPLE_ABOVE", 1_000)
    monkeypatch.setattr(quantiles, "SAMPLE_ROWS", 3_000)
    read_from = _analyzed(request, monkeypatch)
    make, frame = source
    settings = f"partitions: 4, partition_column: {column}, partition_strategy: quantile"
    root = make(tmp_path / "ws", settings)

    parts = window_parts(root)

    assert len(read_from) == 1 and "TABLESAMPLE BERNOULLI (" in read_from[0]  # the sample only

    present = frame.filter(pl.col(column).is_not_null())
    sizes = counts(present, parts, column)
    assert len(parts) == 4 and sum(sizes) == present.height
    assert max(sizes) <= 2 * min(sizes), sizes
    assert window_parts(root) == parts
    report = run(root)
    assert report.ok, report.results
    assert report.results[0].rows == ROWS
    assert_lake_equals(root, frame)


def _analyzed(request, monkeypatch) -> list[str]:
    """ANALYZE the source table (the server's row estimate, which sampling asks for), and
    keep the FROM of every bounds statement the home sends."""
    from hygge.homes.sql import quantiles
    from tests.support.sql_stores import execute_postgres

    postgres, schema = request.getfixturevalue("postgres"), request.getfixturevalue("pg_schema")
    execute_postgres(postgres.conninfo, f'ANALYZE "{schema}"."orders"')
    seen: list[str] = []
    bounds = quantiles._bounds

    def spied(session, dialect, frm, **kwargs):
        seen.append(frm)
        return bounds(session, dialect, frm, **kwargs)

    monkeypatch.setattr(quantiles, "_bounds", spied)
    return seen


SAMPLED_CRASH = """\
import sys
from pathlib import Path
from hygge.homes.sql import quantiles
quantiles.SAMPLE_ABOVE, quantiles.SAMPLE_ROWS = 1_000, 3_000
from tests.support.workspace import run
run(Path(sys.argv[1]))
"""


@pytest.mark.postgres
@pytest.mark.parametrize("source", ["postgres"], indirect=True)
def test_a_run_killed_after_sampled_bounds_resumes_with_the_checkpointed_ranges(
    request, tmp_path, source, monkeypatch
):
    """kill -9 (os._exit) after the first checkpoint of a run whose ranges came from a
    sample: the next run resumes the same ranges from the checkpoint, lands every row once."""
    import json
    import os
    import subprocess
    import sys

    from hygge.faults import CRASH_EXIT_CODE
    from tests.support.workspace import REPO

    make, frame = source
    _analyzed(request, monkeypatch)
    root = make(tmp_path / "ws", "partitions: 4, partition_column: k, partition_strategy: quantile")
    env = {**os.environ, "HYGGE_FAULT": "after_checkpoint:exit"}
    died = subprocess.run(
        [sys.executable, "-c", SAMPLED_CRASH, str(root)], cwd=REPO, env=env, check=False,
        capture_output=True, text=True,
    )  # fmt: skip
    assert died.returncode == CRASH_EXIT_CODE, died.stdout + died.stderr
    saved = json.loads((root / ".hygge" / "checkpoints" / "shop" / "orders.json").read_text())
    planned = [(p["lower"], p["upper"]) for p in saved["window"]["partitions"]]
    assert len(planned) == 4 and saved["rows"] > 0

    def planned_again(*args, **kwargs):
        raise AssertionError("a resumed run cut its ranges again")

    monkeypatch.setattr("hygge.homes.sql.home.quantile_bounds", planned_again)
    again = run(root)  # the ranges are the checkpoint's: no bound is asked for again

    assert again.ok, again.results
    assert again.results[0].resumed
    assert_lake_equals(root, frame)
