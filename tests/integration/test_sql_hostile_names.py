"""Hostile table and column names against real databases: read as the names they are, or
refused before any SQL runs; never executed (a `canary` table survives every read)."""

from __future__ import annotations

import polars as pl
import pytest

from hygge.connections import DuckdbConnection, PostgresConnection, SqliteConnection
from hygge.errors import ConfigError
from hygge.homes.base import ReadSpec
from hygge.homes.sql import DuckdbHomeConfig, PostgresHomeConfig, SqliteHomeConfig
from hygge.types import Place
from tests.support.sql_sources import write_duckdb, write_postgres, write_sqlite

NAMES = [
    pytest.param('o"; DROP TABLE canary; --', id="double-quote"),
    pytest.param("o]; DROP TABLE canary; --", id="bracket"),
    pytest.param("o'); DROP TABLE canary; --", id="single-quote"),
    pytest.param("ørders · 注文", id="unicode"),
    pytest.param("n" * 60, id="long"),
]


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def frame(column: str) -> pl.DataFrame:
    return pl.DataFrame({"id": [1, 2, 3], column: ["a", "b", "c"]})


def read(config, place) -> pl.DataFrame:
    home = config.open(place)
    window = home.open_window(ReadSpec(key_columns=["id"]))
    return pl.concat([batch for batch, _ in home.read(window, window.partitions[0].start)])


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kind", ["sqlite", "duckdb"])
def test_an_embedded_table_and_column_with_a_hostile_name_read_as_named(tmp_path, kind, name):
    write = write_sqlite if kind == "sqlite" else write_duckdb
    path = tmp_path / f"shop.{kind}"
    write(path, "canary", pl.DataFrame({"id": [1]}))
    write(path, quoted(name), frame(name))
    config_class, connection = {
        "sqlite": (SqliteHomeConfig, SqliteConnection(path=path.name)),
        "duckdb": (DuckdbHomeConfig, DuckdbConnection(path=path.name)),
    }[kind]
    place = Place(tmp_path, "shop", "orders", connections={"db": connection})
    config = config_class(connection="db", table=quoted(name), key_columns=[name, "id"])
    assert read(config, place).sort("id").equals(frame(name))
    canary = config_class(connection="db", table="canary")
    assert read(canary, place).height == 1


@pytest.mark.postgres
@pytest.mark.parametrize("name", NAMES)
def test_a_postgres_table_and_column_with_a_hostile_name_read_as_named(
    tmp_path, postgres, pg_schema, monkeypatch, name
):
    monkeypatch.setenv("PGPW", postgres.password)
    write_postgres(postgres.conninfo, f'"{pg_schema}".canary', pl.DataFrame({"id": [1]}))
    write_postgres(postgres.conninfo, f'"{pg_schema}".{quoted(name)}', frame(name))
    connection = PostgresConnection(url=postgres.url, password="${PGPW}")
    place = Place(tmp_path, "shop", "orders", connections={"pg": connection})
    table = f"{pg_schema}.{quoted(name)}"
    config = PostgresHomeConfig(connection="pg", table=table, key_columns=[name, "id"])
    assert read(config, place).sort("id").equals(frame(name))
    canary = PostgresHomeConfig(connection="pg", table=f"{pg_schema}.canary")
    assert read(canary, place).height == 1


@pytest.mark.parametrize(
    ("table", "message"),
    [
        pytest.param("orders; DROP TABLE canary", "is not a table name", id="statement"),
        pytest.param("orders --", "is not a table name", id="comment"),
        pytest.param("orders) UNION SELECT * FROM canary (", "is not a table name", id="union"),
        pytest.param("x" * 1025, "is 1025 characters long", id="too-long"),
    ],
)
def test_an_unquoted_hostile_table_name_is_refused_before_anything_runs(tmp_path, table, message):
    path = tmp_path / "shop.sqlite"
    write_sqlite(path, "canary", pl.DataFrame({"id": [1]}))
    place = Place(tmp_path, "shop", "orders", connections={"db": SqliteConnection(path=path.name)})
    with pytest.raises(ConfigError, match=message):
        SqliteHomeConfig(connection="db", table=table).open(place)
