"""Hostile entity, table, schema and column names against the SQL stores (PostgreSQL, SQLite):
written as the names they are, or refused before any SQL runs; never executed (a `canary`
table survives every publish, merges included)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from hygge.connections import PostgresConnection
from hygge.errors import ConfigError, DataError
from hygge.stores.sql.config import PostgresStoreConfig, SqliteStoreConfig
from hygge.types import Place, RunType
from tests.contract.store_contract import run
from tests.support.sql_stores import (
    PASSWORD_VARIABLE,
    execute_postgres,
    execute_sqlite,
    read_postgres,
    read_sqlite,
)

NAMES = [
    pytest.param('o"; DROP TABLE canary; --', id="double-quote"),
    pytest.param("o]; DROP TABLE canary; --", id="bracket"),
    pytest.param("o'); DROP TABLE canary; --", id="single-quote"),
    pytest.param("o%s %% %(x)s; --", id="percent-markers"),
    pytest.param("ørders · 注文", id="unicode"),
    pytest.param("n" * 60, id="long"),
]


def frame(column: str, keys: range, ids: list[int] | None = None) -> pl.DataFrame:
    return pl.DataFrame({"id": ids or list(keys), column: [f"k{key}" for key in keys]})


def publish_all_run_types(store_of, column: str) -> None:
    """full_drop k0-k2, incremental k3-k5, merge on the hostile column: k4, k5 updated, k6 new."""
    run(store_of(), [frame(column, range(3))], RunType.FULL_DROP, "run-1")
    run(store_of(), [frame(column, range(3, 6))], RunType.INCREMENTAL, "run-2")
    run(store_of(), [frame(column, range(4, 7), [40, 50, 60])], RunType.MERGE, "run-3")


def expected(column: str) -> pl.DataFrame:
    return frame(column, range(7), [0, 1, 2, 3, 40, 50, 60])


@pytest.mark.parametrize("name", NAMES)
def test_a_sqlite_entity_table_and_column_with_a_hostile_name_are_written_as_named(
    tmp_path: Path, name: str
) -> None:
    execute_sqlite(tmp_path / "lake.sqlite", "CREATE TABLE canary (id INTEGER)")
    config = SqliteStoreConfig(path="lake.sqlite", key_columns=[name])

    def store_of():
        return config.open(Place(tmp_path, "shop", name, "shop"))

    publish_all_run_types(store_of, name)

    table = read_sqlite(
        tmp_path / "lake.sqlite", name, pl.Schema({"id": pl.Int64, name: pl.String})
    )
    assert table is not None
    assert table.sort(name).equals(expected(name))
    assert read_sqlite(tmp_path / "lake.sqlite", "canary") is not None


@pytest.mark.postgres
@pytest.mark.parametrize("name", NAMES)
def test_a_postgres_schema_table_and_column_with_a_hostile_name_are_written_as_named(
    tmp_path: Path, postgres, pg_schema: str, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv(PASSWORD_VARIABLE, postgres.password)
    execute_postgres(postgres.conninfo, f'CREATE TABLE "{pg_schema}".canary (id integer)')
    schema = f"{pg_schema}{name}"[:63]
    quoted_schema = '"' + schema.replace('"', '""') + '"'
    config = PostgresStoreConfig(
        connection="pg", table=f'{quoted_schema}."{{entity}}"', key_columns=[name]
    )
    connection = PostgresConnection(url=postgres.url, password=f"${{{PASSWORD_VARIABLE}}}")

    def store_of():
        return config.open(Place(tmp_path, "shop", name, "shop", connections={"pg": connection}))

    publish_all_run_types(store_of, name)

    wanted = pl.Schema({"id": pl.Int64, name: pl.String})
    table = read_postgres(postgres.conninfo, schema, name, wanted)
    assert table is not None
    assert table.sort(name).equals(expected(name))
    assert read_postgres(postgres.conninfo, pg_schema, "canary") is not None


@pytest.mark.parametrize(
    ("table", "message"),
    [
        pytest.param("x" * 256, "is 256 bytes long", id="too-long"),
        pytest.param("a.b.c", "has 2 dots", id="three-parts"),
        pytest.param('"open', "never closes", id="unclosed-quote"),
        pytest.param("line\nbreak", "control character", id="control-character"),
        pytest.param("_hygge_owners", "hygge's own bookkeeping", id="bookkeeping"),
    ],
)
def test_a_table_name_no_quoting_can_make_safe_is_refused_before_anything_runs(
    tmp_path: Path, table: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        SqliteStoreConfig(path="lake.sqlite", table=table).open(Place(tmp_path, "s", "o"))
    assert not (tmp_path / "lake.sqlite").exists()


def test_a_postgres_name_longer_than_63_bytes_is_refused_before_connecting(tmp_path: Path):
    config = PostgresStoreConfig(connection="pg", table="ø" * 32)  # 64 bytes
    connection = PostgresConnection(url="postgresql://nobody@127.0.0.1:1/none")
    with pytest.raises(ConfigError, match="is 64 bytes long"):
        config.open(Place(tmp_path, "s", "o", connections={"pg": connection}))


@pytest.mark.parametrize(
    ("column", "message"),
    [
        pytest.param("a\x00b", "control character", id="nul"),
        pytest.param("_hygge_seq", "hygge keeps for itself", id="reserved"),
        pytest.param("c" * 256, "is 256 bytes long", id="too-long"),
    ],
)
def test_a_column_name_no_quoting_can_make_safe_is_refused_naming_it(
    tmp_path: Path, column: str, message: str
) -> None:
    store = SqliteStoreConfig(path="lake.sqlite").open(Place(tmp_path, "s", "o"))
    staging = store.prepare("run-1", RunType.FULL_DROP)
    with pytest.raises(DataError, match=message):
        store.write(staging, pl.DataFrame({"id": [1], column: [2]}))
