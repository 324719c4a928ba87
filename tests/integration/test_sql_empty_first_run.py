"""A first run of a source with columns and no rows (a 0-row parquet file) into a SQL store
(postgres, sqlite, duckdb): full_drop, incremental and merge each leave the table, empty, with
the source's columns and types, and a journal row of 0 rows; the next run with rows lands them
as its run type does. A kill inside that first publish leaves nothing the next run trips on.
SQL Server's statements for the same publish are parsed in tests/unit/stores/."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import polars as pl
import pytest

from hygge.config import load_workspace
from hygge.faults import CRASH_EXIT_CODE
from hygge.stores.duckdb_database import open_database
from hygge.stores.duckdb_names import TableName
from hygge.types import RunStatus
from tests.support.data import content_hash, orders
from tests.support.duckdb_lake import read_table
from tests.support.sql_stores import (
    PASSWORD_VARIABLE,
    execute_postgres,
    execute_sqlite,
    read_postgres,
    read_sqlite,
)
from tests.support.workspace import crash, land, run, state_of, write_workspace

FLOW = """\
home: {type: parquet, path: landing}
store: %s
run_type: %s
key_columns: [id]
watermark: {column: updated_at}
entities: [orders]
"""
RUN_TYPES = ["full_drop", "incremental", "merge"]


def _sqlite_columns(path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as connection:
        found = connection.execute("SELECT name, type FROM pragma_table_info('orders')")
        return [(str(name), str(kind)) for name, kind in found.fetchall()]


def _duckdb_columns(path: Path) -> list[tuple[str, str]]:
    with open_database(path).transaction() as cursor:
        found = cursor.execute("DESCRIBE main.orders").fetchall()
    return [(str(c[0]), str(c[1])) for c in found]


def _postgres_columns(conninfo: str, schema: str) -> list[tuple[str, str]]:
    import psycopg

    with psycopg.connect(conninfo) as connection:
        found = connection.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE "
            "table_schema = %s AND table_name = 'orders' ORDER BY ordinal_position",
            [schema],
        ).fetchall()
    return [(str(name), str(kind)) for name, kind in found]


EXPECTED = {
    "sqlite": [("id", "INTEGER"), ("customer", "TEXT"), ("amount", "REAL"),
               ("updated_at", "TIMESTAMP")],
    "duckdb": [("id", "BIGINT"), ("customer", "VARCHAR"), ("amount", "DOUBLE"),
               ("updated_at", "TIMESTAMP")],
    "postgres": [("id", "bigint"), ("customer", "text"), ("amount", "double precision"),
                 ("updated_at", "timestamp without time zone")],
}  # fmt: skip


@pytest.fixture(params=["postgres", "sqlite", "duckdb"])
def target(request, tmp_path: Path) -> tuple:
    """(hygge.yml, the store block, a reader of the table, its columns, the store's type[,
    the PostgreSQL server and schema])."""
    root = tmp_path / "ws"
    if request.param == "sqlite":
        store = '{type: sqlite, path: lake.sqlite, table: "{entity}"}'
        file = root / "lake.sqlite"
        return (
            "name: test\n", store, lambda s: read_sqlite(file, "orders", s),
            lambda: _sqlite_columns(file), "sqlite",
        )  # fmt: skip
    if request.param == "duckdb":
        pytest.importorskip("duckdb")
        store = "{type: duckdb, path: lake.duckdb}"
        file = root / "lake.duckdb"
        return (
            "name: test\n", store, lambda s: read_table(file, TableName("main", "orders"), s),
            lambda: _duckdb_columns(file), "duckdb",
        )  # fmt: skip
    request.applymarker(pytest.mark.postgres)
    postgres = request.getfixturevalue("postgres")
    schema = request.getfixturevalue("pg_schema")
    request.getfixturevalue("monkeypatch").setenv(PASSWORD_VARIABLE, postgres.password)
    connection = f"{{type: postgres, url: '{postgres.url}', password: '${{{PASSWORD_VARIABLE}}}'}}"
    project = f"name: test\nconnections:\n  pg: {connection}\n"
    store = f"{{type: postgres, connection: pg, table: '{schema}.\"{{entity}}\"'}}"
    return (
        project, store, lambda s: read_postgres(postgres.conninfo, schema, "orders", s),
        lambda: _postgres_columns(postgres.conninfo, schema), "postgres", (postgres, schema),
    )  # fmt: skip


def _empty_workspace(root: Path, target, run_type: str) -> None:
    project, store, *_ = target
    write_workspace(root, {"shop": FLOW % (store, run_type)}, project)
    land(root, "orders", "a", orders(3).clear())


def _assert_empty_table(target) -> None:
    read, columns, kind = target[2:5]
    assert columns() == EXPECTED[kind]
    table = read(orders(1).schema)
    assert table is not None and table.height == 0


@pytest.mark.parametrize("run_type", RUN_TYPES)
def test_a_first_run_of_an_empty_source_creates_the_table_then_the_next_run_lands_rows(
    tmp_path: Path, target, run_type: str
) -> None:
    root = tmp_path / "ws"
    _empty_workspace(root, target, run_type)

    first = run(root)

    assert first.ok, first.results
    assert first.results[0].status is RunStatus.SKIP
    _assert_empty_table(target)
    journal = state_of(load_workspace(root)).read_journal()
    assert [(row.status, row.row_count) for row in journal] == [("skip", 0)]

    land(root, "orders", "b", orders(4))
    second = run(root)

    assert second.ok, second.results
    table = target[2](orders(1).schema)
    assert table is not None
    assert content_hash(table) == content_hash(orders(4))
    assert target[3]() == EXPECTED[target[4]]  # the types the first run chose hold the rows
    later = pl.col("updated_at") + pl.duration(hours=1)
    land(root, "orders", "c", orders(2, start=2).with_columns(later, pl.col("amount") * 2))
    third = run(root)  # full_drop: all files again; incremental: appends; merge: upserts
    assert third.ok, third.results
    table = target[2](orders(1).schema)
    assert table is not None
    expected = {"full_drop": 6, "incremental": 6, "merge": 4}[run_type]
    assert table.height == expected


def test_an_empty_incremental_run_after_rows_leaves_the_table_as_it_was(
    tmp_path: Path, target
) -> None:
    root = tmp_path / "ws"
    project, store, read, *_ = target
    write_workspace(root, {"shop": FLOW % (store, "incremental")}, project)
    land(root, "orders", "a", orders(3))
    assert run(root).ok
    land(root, "orders", "b", orders(3).clear())

    again = run(root)

    assert again.ok, again.results
    table = read(orders(1).schema)
    assert table is not None and content_hash(table) == content_hash(orders(3))


@pytest.mark.parametrize("run_type", RUN_TYPES)
@pytest.mark.parametrize("point", ["before_publish", "during_publish", "after_publish"])
def test_a_kill_in_the_first_publish_of_an_empty_source_leaves_nothing_half_made(
    tmp_path: Path, target, point: str, run_type: str
) -> None:
    root = tmp_path / "ws"
    _empty_workspace(root, target, run_type)

    assert crash(root, point) == CRASH_EXIT_CODE

    if point != "after_publish":  # the publish's one transaction never committed
        assert target[2](orders(1).schema) is None
    rerun = run(root)
    assert rerun.ok, rerun.results
    _assert_empty_table(target)
    state = state_of(load_workspace(root))
    assert state.load_checkpoint("shop", "orders") is None
    assert state.list_locks() == {}
    land(root, "orders", "b", orders(4))
    assert run(root).ok
    table = target[2](orders(1).schema)
    assert table is not None and content_hash(table) == content_hash(orders(4))


@pytest.mark.parametrize("home", ["postgres", "duckdb", "sqlite"])
def test_an_empty_sql_source_lands_its_typed_columns(tmp_path: Path, request, home: str):
    """A SQL home that finds no row yields one batch of none with the source's columns (the
    types its driver reports; a SQLite table's from its declared types, as sqlite3 reports
    none before a row), so the store creates the table."""
    root = tmp_path / "ws"
    root.mkdir()
    project = "name: test\n"
    create = "CREATE TABLE orders (id BIGINT, name VARCHAR(20), amount DOUBLE PRECISION)"
    if home == "postgres":
        request.applymarker(pytest.mark.postgres)
        postgres = request.getfixturevalue("postgres")
        schema = request.getfixturevalue("pg_schema")
        request.getfixturevalue("monkeypatch").setenv(PASSWORD_VARIABLE, postgres.password)
        execute_postgres(postgres.conninfo, create.replace("orders", f'"{schema}".orders'))
        password = f"${{{PASSWORD_VARIABLE}}}"
        project += f"connections:\n  pg: {{type: postgres, url: '{postgres.url}', "
        project += f"password: '{password}'}}\n"
        block = f"{{type: postgres, connection: pg, table: '{schema}.orders'}}"
    elif home == "duckdb":
        duckdb = pytest.importorskip("duckdb")
        with duckdb.connect(str(root / "shop.duckdb")) as db:  # closed before hygge reads it
            db.execute(create)
        block = "{type: duckdb, path: shop.duckdb, table: orders}"
    else:
        execute_sqlite(root / "shop.sqlite", create)
        block = "{type: sqlite, path: shop.sqlite, table: orders}"
    flow = f"home: {block}\nstore: {{type: sqlite, path: lake.sqlite, table: orders}}\n"
    write_workspace(root, {"shop": flow + "entities: [orders]\n"}, project)

    done = run(root)

    assert done.ok, done.results
    expected = [("id", "INTEGER"), ("name", "TEXT"), ("amount", "REAL")]
    assert _sqlite_columns(root / "lake.sqlite") == expected
    table = read_sqlite(root / "lake.sqlite", "orders")
    assert table is not None and table.height == 0


def _a_strangers_table(root: Path, target) -> None:
    """`orders` made by someone else, with two rows of its own."""
    kind = target[4]
    create = "CREATE TABLE {t} (id BIGINT, note VARCHAR(10))"
    insert = "INSERT INTO {t} VALUES (1, 'theirs'), (2, 'theirs')"
    if kind == "sqlite":
        root.mkdir(parents=True, exist_ok=True)
        execute_sqlite(root / "lake.sqlite", create.format(t="orders"), insert.format(t="orders"))
    elif kind == "duckdb":
        from tests.support.duckdb_lake import execute

        root.mkdir(parents=True, exist_ok=True)
        execute(
            root / "lake.duckdb", create.format(t="main.orders"), insert.format(t="main.orders")
        )
    else:
        postgres, schema = target[5]
        name = f'"{schema}".orders'
        execute_postgres(postgres.conninfo, create.format(t=name), insert.format(t=name))


@pytest.mark.parametrize("run_type", RUN_TYPES)
@pytest.mark.parametrize("empty", [True, False], ids=["empty-source", "rows"])
def test_a_table_hygge_did_not_create_is_refused_naming_it_and_kept(
    tmp_path: Path, target, run_type: str, empty: bool
) -> None:
    root = tmp_path / "ws"
    _a_strangers_table(root, target)
    project, store, *_ = target
    write_workspace(root, {"shop": FLOW % (store, run_type)}, project)
    land(root, "orders", "a", orders(3).clear() if empty else orders(3))

    refused = run(root)

    [result] = refused.results
    assert result.status is RunStatus.FAIL, refused.results
    assert "already exists (2 rows) and hygge did not create it" in (result.message or "")
    assert "if_exists: append" in (result.message or "")
    table = target[2](pl.Schema({"id": pl.Int64, "note": pl.String}))
    assert table is not None and table.sort("id")["note"].to_list() == ["theirs", "theirs"]
