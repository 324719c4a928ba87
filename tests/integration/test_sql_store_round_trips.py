"""Round trips through the CLI as a user runs it (`hygge go` in a workspace): parquet ->
PostgreSQL -> parquet, and parquet -> SQLite; row counts and content hashes equal."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from tests.support.cli import hygge
from tests.support.data import content_hash, orders
from tests.support.sql_stores import PASSWORD_VARIABLE, read_postgres, read_sqlite
from tests.support.workspace import land, read_lake, write_workspace

SQLITE_FLOW = "home: landing\nstore: {type: sqlite, path: lake.sqlite}\nentities: [orders]\n"


def source(rows: int) -> pl.DataFrame:
    """Orders with a decimal, a flag, a day, bytes and an instant with a time zone."""
    base = orders(rows)
    return base.with_columns(
        (pl.col("id").cast(pl.Decimal(12, 2)) / 4).cast(pl.Decimal(12, 2)).alias("price"),
        (pl.col("id") % 3 == 0).alias("flag"),
        pl.col("updated_at").dt.date().alias("day"),
        pl.col("customer").cast(pl.Binary).alias("blob"),
        pl.col("updated_at").dt.replace_time_zone("UTC").alias("at"),
        pl.when(pl.col("id") % 5 == 0).then(None).otherwise(pl.col("customer")).alias("maybe"),
    )


def assert_same(actual: pl.DataFrame | None, expected: pl.DataFrame) -> None:
    assert actual is not None
    actual = actual.select(pl.col(n).cast(t) for n, t in expected.schema.items())
    assert actual.height == expected.height
    assert content_hash(actual) == content_hash(expected)


@pytest.mark.postgres
def test_parquet_to_postgres_to_parquet_through_the_cli_keeps_every_row(
    tmp_path: Path, postgres, pg_schema: str
) -> None:
    env = {PASSWORD_VARIABLE: postgres.password}
    project = (
        "name: trip\nconnections:\n"
        f"  pg: {{type: postgres, url: '{postgres.url}', password: '${{{PASSWORD_VARIABLE}}}'}}\n"
    )
    table = f"'{pg_schema}.\"{{entity}}\"'"
    flows = {
        "load": "home: {type: parquet, path: landing}\n"
        f"store: {{type: postgres, connection: pg, table: {table}}}\nentities: [orders]\n",
        "back": f"home: {{type: postgres, connection: pg, table: {table}}}\n"
        "store: {type: parquet, path: lake}\nentities: [orders]\n",
    }
    write_workspace(tmp_path, flows, project)
    data = source(2_500)
    land(tmp_path, "orders", "a", data)

    loaded = hygge(tmp_path, "go", "--flow", "load", env=env)
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    assert_same(read_postgres(postgres.conninfo, pg_schema, "orders"), data)
    back = hygge(tmp_path, "go", "--flow", "back", env=env)
    assert back.returncode == 0, back.stdout + back.stderr

    assert_same(read_lake(tmp_path, "orders"), data)


def test_parquet_to_sqlite_through_the_cli_keeps_every_row(tmp_path: Path) -> None:
    flows = {
        "load": "home: {type: parquet, path: landing}\n"
        "store:\n  type: sqlite\n  path: lake.sqlite\n  table: '{entity}'\n"
        "entities: [orders]\n",
    }
    write_workspace(tmp_path, flows)
    data = source(2_500)
    land(tmp_path, "orders", "a", data)

    done = hygge(tmp_path, "go")

    assert done.returncode == 0, done.stdout + done.stderr
    assert_same(read_sqlite(tmp_path / "lake.sqlite", "orders", data.schema), data)


def test_a_second_full_drop_through_the_cli_replaces_the_sqlite_table(tmp_path: Path) -> None:
    flows = {
        "load": "home: landing\nstore: {type: sqlite, path: lake.sqlite}\nentities: [orders]\n"
    }
    write_workspace(tmp_path, flows)
    land(tmp_path, "orders", "a", orders(10))
    assert hygge(tmp_path, "go").returncode == 0
    (tmp_path / "landing" / "orders" / "a.parquet").unlink()
    land(tmp_path, "orders", "b", orders(4, start=50))

    done = hygge(tmp_path, "go")

    assert done.returncode == 0, done.stdout + done.stderr
    expected = orders(4, start=50)
    assert_same(read_sqlite(tmp_path / "lake.sqlite", "orders", expected.schema), expected)


def test_the_day_and_decimal_survive_as_text_in_sqlite(tmp_path: Path) -> None:
    flows = {
        "load": "home: landing\nstore: {type: sqlite, path: lake.sqlite}\nentities: [orders]\n"
    }
    write_workspace(tmp_path, flows)
    data = pl.DataFrame(
        {"id": [1], "price": [Decimal("123456789.01")], "day": [dt.date(2024, 2, 29)]},
        schema={"id": pl.Int64, "price": pl.Decimal(12, 2), "day": pl.Date},
    )
    land(tmp_path, "orders", "a", data)
    assert hygge(tmp_path, "go").returncode == 0
    raw = read_sqlite(tmp_path / "lake.sqlite", "orders")
    assert raw is not None and raw.row(0) == (1, "123456789.01", "2024-02-29")
