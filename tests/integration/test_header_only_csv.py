"""A csv file of only a header carries its columns but no types: its first run (full_drop or
incremental) leaves no typed table behind, and the next file's rows decide the types — ints,
dates and decimals land as such in every store (parquet lake, Delta, DuckDB, SQLite,
PostgreSQL), never as text. A table that is there already keeps its own types."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from hygge.cli.app import app
from hygge.stores.duckdb_database import open_database
from tests.support.sql_stores import PASSWORD_VARIABLE
from tests.support.workspace import read_lake, write_workspace

FLOW = """\
home:
  type: local
  format: csv
  path: landing
  format_options: {try_parse_dates: true, schema_overrides: {amount: "Decimal(10, 2)"}}
store: %s
run_type: %s
watermark: {column: id}
entities: [orders]
"""
HEADER = "id,amount,day\n"
ROWS = "1,2.50,2024-01-02\n2,3.25,2024-01-03\n"

Columns = Callable[[Path], list[tuple[str, str]]]


@dataclass(frozen=True)
class Store:
    """One store kind: hygge.yml, the store block, the table's columns as its catalog says
    them (with a check that ints are stored as ints), the expected ones, and its row count."""

    project: str
    block: str
    columns: Columns
    expected: list[tuple[str, str]]
    count: Callable[[Path], int]


def _lake(ws: Path) -> list[tuple[str, str]]:
    return [(name, str(dtype)) for name, dtype in read_lake(ws, "orders").schema.items()]


def _delta(ws: Path) -> list[tuple[str, str]]:
    frame = pl.read_delta(str(ws / "dl" / "orders"))
    return [(name, str(dtype)) for name, dtype in frame.schema.items()]


def _sqlite(ws: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(ws / "wh.sqlite") as connection:
        found = connection.execute("SELECT name, type FROM pragma_table_info('orders')")
        declared = [(str(name), str(kind)) for name, kind in found.fetchall()]
        stored = connection.execute("SELECT DISTINCT typeof(id) FROM orders").fetchall()
    assert stored in ([], [("integer",)])  # not text, whatever the declaration says
    return declared


def _sqlite_count(ws: Path) -> int:
    with sqlite3.connect(ws / "wh.sqlite") as connection:
        return int(connection.execute("SELECT count(*) FROM orders").fetchone()[0])


def _duckdb(ws: Path) -> list[tuple[str, str]]:
    with open_database(ws / "wh.duckdb").transaction() as cursor:
        found = cursor.execute("DESCRIBE main.orders").fetchall()
    return [(str(c[0]), str(c[1])) for c in found]


def _duckdb_count(ws: Path) -> int:
    with open_database(ws / "wh.duckdb").transaction() as cursor:
        found = cursor.execute("SELECT count(*) FROM main.orders").fetchone()
    assert found is not None
    return int(found[0])


STORES = {
    "lake": Store("name: shop\n", "lake", _lake,
                  [("id", "Int64"), ("amount", "Decimal(precision=10, scale=2)"), ("day", "Date")],
                  lambda ws: read_lake(ws, "orders").height),
    "delta": Store("name: shop\n", "{type: delta, path: dl}", _delta,
                   [("id", "Int64"), ("amount", "Decimal(precision=10, scale=2)"), ("day", "Date")],
                   lambda ws: pl.read_delta(str(ws / "dl" / "orders")).height),
    "duckdb": Store("name: shop\n", "{type: duckdb, path: wh.duckdb}", _duckdb,
                    [("id", "BIGINT"), ("amount", "DECIMAL(10,2)"), ("day", "DATE")],
                    _duckdb_count),
    "sqlite": Store("name: shop\n", "{type: sqlite, path: wh.sqlite}", _sqlite,
                    [("id", "INTEGER"), ("amount", "DECIMAL_TEXT(10, 2)"), ("day", "DATE")],
                    _sqlite_count),
}  # fmt: skip
POSTGRES = [("id", "bigint"), ("amount", "numeric"), ("day", "date")]


@pytest.fixture(params=[*STORES, "postgres"])
def store(request) -> Store:
    return STORES[request.param] if request.param != "postgres" else _postgres(request)


@pytest.fixture(params=[name for name in [*STORES, "postgres"] if name != "lake"])
def table_store(request) -> Store:
    """The stores that keep a table (a lake's empty full_drop leaves no file, so no types)."""
    return STORES[request.param] if request.param != "postgres" else _postgres(request)


def _postgres(request: pytest.FixtureRequest) -> Store:
    request.applymarker(pytest.mark.postgres)
    postgres = request.getfixturevalue("postgres")
    schema = request.getfixturevalue("pg_schema")
    request.getfixturevalue("monkeypatch").setenv(PASSWORD_VARIABLE, postgres.password)
    connection = f"{{type: postgres, url: '{postgres.url}', password: '${{{PASSWORD_VARIABLE}}}'}}"
    project = f"name: shop\nconnections:\n  pg: {connection}\n"
    block = f"{{type: postgres, connection: pg, table: '{schema}.\"{{entity}}\"'}}"

    def columns(_: Path) -> list[tuple[str, str]]:
        import psycopg

        with psycopg.connect(postgres.conninfo) as session:
            found = session.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE "
                "table_schema = %s AND table_name = 'orders' ORDER BY ordinal_position",
                [schema],
            ).fetchall()
        return [(str(name), str(kind)) for name, kind in found]

    def count(_: Path) -> int:
        import psycopg

        with psycopg.connect(postgres.conninfo) as session:
            found = session.execute(f'SELECT count(*) FROM "{schema}".orders').fetchone()
        assert found is not None
        return int(found[0])

    return Store(project, block, columns, POSTGRES, count)


def _go(ws: Path, *extra: str) -> str:
    done = CliRunner(env={"COLUMNS": "400"}).invoke(
        app, ["go", "-w", str(ws), *extra], catch_exceptions=False
    )
    said = " ".join(done.output.split())
    assert done.exit_code == 0, said
    return said


def _workspace(root: Path, store: Store, run_type: str) -> Path:
    ws = write_workspace(root, {"shop": FLOW % (store.block, run_type)}, store.project)
    (ws / "landing" / "orders").mkdir(parents=True)
    (ws / "landing" / "orders" / "a.csv").write_text(HEADER)
    return ws


@pytest.mark.parametrize("run_type", ["full_drop", "incremental"])
def test_a_header_only_csv_then_rows_lands_the_rows_types_never_text(tmp_path, store, run_type):
    ws = _workspace(tmp_path / "ws", store, run_type)
    assert "skip shop.orders" in _go(ws)

    (ws / "landing" / "orders" / "b.csv").write_text(HEADER + ROWS)
    went = _go(ws)

    assert "success shop.orders 2 rows" in went, went
    assert store.columns(ws) == store.expected
    assert store.count(ws) == 2


def test_a_header_only_full_drop_into_a_table_empties_it_keeping_its_types(tmp_path, table_store):
    store = table_store
    ws = _workspace(tmp_path / "ws", store, "full_drop")
    (ws / "landing" / "orders" / "a.csv").write_text(HEADER + ROWS)
    _go(ws)
    (ws / "landing" / "orders" / "a.csv").write_text(HEADER)

    went = _go(ws)

    assert "the source is empty, so the entity is now empty" in went, went
    assert store.count(ws) == 0
    assert store.columns(ws) == store.expected
