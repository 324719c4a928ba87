"""Session 25's attack on `partition_strategy: quantile` (and `partitions:` on an empty source),
as a hostile user: keys that are all equal, all NULL, 99 % one value, negative, fractional,
dates, fewer rows than partitions; an empty source with `partitions: 4` into a SQL store.
Every run's lake is compared with the source (row count and content hash)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from tests.support.data import content_hash
from tests.support.sql_sources import write_duckdb, write_postgres, write_sqlite
from tests.support.sql_stores import PASSWORD_VARIABLE, read_sqlite
from tests.support.workspace import read_lake, run, write_workspace

PG_PROJECT = """\
name: test
connections:
  pg: {type: postgres, url: "%s", password: "${HYGGE_TEST_PG_PASSWORD}"}
"""
Make = Callable[[Path, pl.DataFrame, str, str], Path]


@pytest.fixture(params=["sqlite", "duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def make(request, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Make:
    """A writer of a workspace whose home is table `orders` (holding `frame`) of one dialect."""
    kind = request.param
    if kind == "duckdb":
        pytest.importorskip("duckdb")

    def build(root: Path, frame: pl.DataFrame, settings: str, store: str = "lake") -> Path:
        root.mkdir(parents=True, exist_ok=True)
        project = "name: test\noptions: {checkpoint_rows: 3}\n"
        if kind == "postgres":
            postgres = request.getfixturevalue("postgres")
            schema = request.getfixturevalue("pg_schema")
            monkeypatch.setenv(PASSWORD_VARIABLE, postgres.password)
            write_postgres(postgres.conninfo, f'"{schema}"."orders"', frame)
            home = f"{{type: postgres, connection: pg, table: '{schema}.orders', batch_size: 3"
            project = PG_PROJECT % postgres.url
        else:
            path = root / f"shop.{kind}"
            (write_sqlite if kind == "sqlite" else write_duckdb)(path, "orders", frame)
            home = f"{{type: {kind}, path: {path}, table: orders, batch_size: 3"
        flow = f"home: {home}, {settings}}}\nstore: {store}\nentities: [orders]\n"
        return write_workspace(root, {"shop": flow}, project)

    build.kind = kind  # type: ignore[attr-defined]
    return build


def _assert_lake_equals(root: Path, frame: pl.DataFrame) -> None:
    lake = read_lake(root, "orders")
    assert lake.height == frame.height
    lake = lake.select(frame.columns)
    for name, dtype in frame.schema.items():  # sqlite keeps dates as text
        if isinstance(dtype, pl.Date) and lake[name].dtype == pl.String:
            lake = lake.with_columns(pl.col(name).str.to_date())
    assert content_hash(lake.cast(frame.schema)) == content_hash(frame)  # type: ignore[arg-type]


def _ids(rows: int) -> pl.Series:
    return pl.int_range(1, rows + 1, eager=True, dtype=pl.Int64)


KEYS: dict[str, Callable[[], pl.DataFrame]] = {
    "all-equal": lambda: pl.DataFrame({"id": _ids(50)}).with_columns(k=pl.lit(7, pl.Int64)),
    "all-null": lambda: pl.DataFrame({"id": _ids(20)}).with_columns(k=pl.lit(None, pl.Int64)),
    "one-value-99-percent": lambda: pl.DataFrame({"id": _ids(300)}).with_columns(
        k=pl.when(pl.col("id") <= 297).then(42).otherwise(pl.col("id") * 1000).cast(pl.Int64)
    ),
    "negative": lambda: pl.DataFrame({"id": _ids(40)}).with_columns(
        k=(pl.col("id") * -37 + 11).cast(pl.Int64)
    ),
    "negative-fractions": lambda: pl.DataFrame({"id": _ids(40)}).with_columns(
        k=(pl.col("id").cast(pl.Float64) * -0.37 + 0.5)
    ),
    "fewer-rows-than-partitions": lambda: pl.DataFrame({"id": _ids(3)}).with_columns(
        k=pl.col("id") * 10
    ),
    "one-row": lambda: pl.DataFrame({"id": _ids(1)}).with_columns(k=pl.lit(-5, pl.Int64)),
    "nulls-and-one-value": lambda: pl.DataFrame({"id": _ids(30)}).with_columns(
        k=pl.when(pl.col("id") % 2 == 0).then(None).otherwise(3).cast(pl.Int64)
    ),
    "extreme-integers": lambda: pl.DataFrame({"id": _ids(9)}).with_columns(
        k=pl.Series([-(2**63), -(2**62), -1, 0, 1, 2**40, 2**62, 2**63 - 2, 2**63 - 1])
    ),
}


@pytest.mark.parametrize("strategy", ["quantile", "range"])
@pytest.mark.parametrize("key", list(KEYS))
def test_an_odd_partition_key_lands_every_row_once(
    tmp_path: Path, make: Make, key: str, strategy: str
) -> None:
    frame = KEYS[key]()
    settings = f"partitions: 8, partition_column: k, partition_strategy: {strategy}"
    root = make(tmp_path / "ws", frame, settings)

    report = run(root)

    assert report.ok, report.results
    assert report.results[0].rows == frame.height
    _assert_lake_equals(root, frame)


NOT_SQLITE = ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.mark.parametrize("make", NOT_SQLITE, indirect=True)  # sqlite: dates are text
@pytest.mark.parametrize("strategy", ["quantile", "range"])
def test_dates_before_1970_and_far_ahead_land_every_row_once(
    tmp_path: Path, make: Make, strategy: str
) -> None:
    days = [dt.date(1, 1, 1), dt.date(1900, 2, 28), dt.date(1969, 12, 31), dt.date(1970, 1, 1)]
    days += [dt.date(2024, 2, 29)] * 20 + [dt.date(9999, 12, 31)]
    frame = pl.DataFrame({"id": _ids(len(days)), "k": days})
    settings = f"partitions: 4, partition_column: k, partition_strategy: {strategy}"
    root = make(tmp_path / "ws", frame, settings)

    report = run(root)

    assert report.ok, report.results
    _assert_lake_equals(root, frame)


# sqlite3 reports no column types without a row: an empty SQLite home lands no table (README)
@pytest.mark.parametrize("make", NOT_SQLITE, indirect=True)
@pytest.mark.parametrize("strategy", ["quantile", "range"])
def test_an_empty_source_with_partitions_creates_the_empty_sql_table(
    tmp_path: Path, make: Make, strategy: str
) -> None:
    frame = pl.DataFrame({"id": _ids(0), "k": pl.Series([], dtype=pl.Int64)})
    store = '{type: sqlite, path: out.sqlite, table: "{entity}"}'
    settings = f"partitions: 4, partition_column: k, partition_strategy: {strategy}"
    root = make(tmp_path / "ws", frame, settings, store)

    report = run(root)

    assert report.ok, report.results
    assert report.results[0].rows == 0
    table = read_sqlite(root / "out.sqlite", "orders")
    assert table is not None and table.height == 0 and table.columns == ["id", "k"]


FLOAT_EDGES = [float("-inf"), -1e308, -0.0, 0.0, 1e-300, 2.5, 1e308, float("inf"), float("nan")]


@pytest.mark.parametrize("make", NOT_SQLITE, indirect=True)  # sqlite3 writes a NaN as NULL
@pytest.mark.parametrize("strategy", ["quantile", "range"])
def test_infinities_and_nan_in_a_float_key_land_every_row_once(
    tmp_path: Path, make: Make, strategy: str
) -> None:
    keys = FLOAT_EDGES * 3
    frame = pl.DataFrame({"id": _ids(len(keys)), "k": keys})
    settings = f"partitions: 4, partition_column: k, partition_strategy: {strategy}"
    root = make(tmp_path / "ws", frame, settings)

    report = run(root)

    assert report.ok, report.results
    assert report.results[0].rows == frame.height
    _assert_lake_equals(root, frame)


@pytest.mark.parametrize("make", NOT_SQLITE, indirect=True)
@pytest.mark.parametrize("strategy", ["quantile", "range"])
def test_a_time_zoned_timestamp_key_with_a_skew_lands_every_row_once(
    tmp_path: Path, make: Make, strategy: str
) -> None:
    start = dt.datetime(1969, 12, 31, 23, 59, 59, tzinfo=dt.UTC)
    stamps = [start] * 30 + [start + dt.timedelta(days=d, microseconds=d) for d in range(10)]
    frame = pl.DataFrame({"id": _ids(len(stamps)), "k": stamps})
    settings = f"partitions: 5, partition_column: k, partition_strategy: {strategy}"
    root = make(tmp_path / "ws", frame, settings)

    report = run(root)

    assert report.ok, report.results
    _assert_lake_equals(root, frame)


@pytest.mark.postgres
def test_sampled_bounds_of_a_table_with_a_hostile_name_land_every_row_once(
    tmp_path: Path, postgres, pg_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hygge.homes.sql import quantiles
    from tests.support.sql_stores import execute_postgres

    monkeypatch.setattr(quantiles, "SAMPLE_ABOVE", 1_000)
    monkeypatch.setattr(quantiles, "SAMPLE_ROWS", 400)
    seen: list[str] = []
    bounds = quantiles._bounds

    def spied(session, dialect, frm, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(frm)
        return bounds(session, dialect, frm, **kwargs)

    monkeypatch.setattr(quantiles, "_bounds", spied)
    monkeypatch.setenv(PASSWORD_VARIABLE, postgres.password)
    name = 'Or.d"er s$1'
    quoted = f'"{pg_schema}"."' + name.replace('"', '""') + '"'
    frame = pl.DataFrame({"id": _ids(5_000)}).with_columns(
        k=pl.when(pl.col("id") % 10 != 0).then(pl.col("id") % 7).otherwise(pl.col("id") * 3)
    )
    write_postgres(postgres.conninfo, quoted, frame)
    execute_postgres(postgres.conninfo, f"ANALYZE {quoted}")
    table = quoted.replace("'", "''")
    home = f"{{type: postgres, connection: pg, table: '{table}', batch_size: 700, "
    settings = "partitions: 4, partition_column: k, partition_strategy: quantile}"
    flow = f"home: {home}{settings}\nstore: lake\nentities: [orders]\n"
    root = write_workspace(tmp_path / "ws", {"shop": flow}, PG_PROJECT % postgres.url)

    report = run(root)

    assert report.ok, report.results
    assert any("TABLESAMPLE BERNOULLI" in frm for frm in seen), seen
    _assert_lake_equals(root, frame)
