"""An empty SQLite `table:` home lands an empty table typed from the declared columns (sqlite3
types no column before a row); a column whose declared type does not decide its values'
type, and a `query:` home, land no table until a run with rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.support.sql_stores import execute_sqlite, read_sqlite
from tests.support.workspace import run, write_workspace


def _columns(path: Path, table: str) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute(f"SELECT name, type FROM pragma_table_info('{table}')")
        return [(str(name), str(kind)) for name, kind in rows.fetchall()]


def _workspace(root: Path, home: str, *creates: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    execute_sqlite(root / "shop.sqlite", *creates)
    flow = (
        f"home: {home}\nstore: {{type: sqlite, path: lake.sqlite, table: orders}}\n"
        "entities: [orders]\n"
    )
    return write_workspace(root, {"shop": flow})


@pytest.mark.parametrize(
    ("table", "create"),
    [
        pytest.param("orders", "CREATE TABLE orders ({})", id="plain"),
        pytest.param("main.orders", "CREATE TABLE orders ({})", id="schema-qualified"),
        pytest.param('\'"we""ird; --"\'', 'CREATE TABLE "we""ird; --" ({})', id="hostile-name"),
    ],
)
def test_an_empty_sqlite_table_lands_an_empty_table_of_its_declared_types(
    tmp_path: Path, table: str, create: str
):
    columns = "id BIGINT, name VARCHAR(20), amount DOUBLE PRECISION, photo BLOB, qty INT"
    root = _workspace(tmp_path / "ws", f"{{type: sqlite, path: shop.sqlite, table: {table}}}",
                      create.format(columns))  # fmt: skip

    done = run(root)

    assert done.ok, done.results
    assert _columns(root / "lake.sqlite", "orders") == [
        ("id", "INTEGER"), ("name", "TEXT"), ("amount", "REAL"), ("photo", "BLOB"),
        ("qty", "INTEGER"),
    ]  # fmt: skip
    landed = read_sqlite(root / "lake.sqlite", "orders")
    assert landed is not None and landed.height == 0


def test_rows_added_after_an_empty_first_run_land_in_the_typed_table(tmp_path: Path):
    root = _workspace(
        tmp_path / "ws", "{type: sqlite, path: shop.sqlite, table: orders}",
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, name TEXT, amount REAL)",
    )  # fmt: skip
    assert run(root).ok
    execute_sqlite(root / "shop.sqlite", "INSERT INTO orders VALUES (1, 'a', 1.5), (2, 'b', 2.5)")

    done = run(root)

    assert done.ok, done.results
    landed = read_sqlite(root / "lake.sqlite", "orders")
    assert landed is not None and landed.sort("id").rows() == [(1, "a", 1.5), (2, "b", 2.5)]


@pytest.mark.parametrize(
    "declared", [pytest.param("DATE", id="numeric-affinity"), pytest.param("", id="untyped")]
)
def test_an_empty_table_with_a_column_of_undecided_type_lands_no_table(
    tmp_path: Path, declared: str
):
    root = _workspace(
        tmp_path / "ws", "{type: sqlite, path: shop.sqlite, table: orders}",
        f"CREATE TABLE orders (id INTEGER, day {declared})",
    )  # fmt: skip

    done = run(root)

    assert done.ok, done.results
    assert read_sqlite(root / "lake.sqlite", "orders") is None


def test_an_empty_sqlite_query_home_lands_no_table(tmp_path: Path):
    root = _workspace(
        tmp_path / "ws", "{type: sqlite, path: shop.sqlite, query: 'SELECT id FROM orders'}",
        "CREATE TABLE orders (id INTEGER, name TEXT)",
    )  # fmt: skip

    done = run(root)

    assert done.ok, done.results
    assert read_sqlite(root / "lake.sqlite", "orders") is None


def test_an_empty_sqlite_view_lands_the_declared_types_of_its_plain_columns(tmp_path: Path):
    root = _workspace(
        tmp_path / "ws", "{type: sqlite, path: shop.sqlite, table: recent, key_columns: [id]}",
        "CREATE TABLE orders (id INTEGER, name TEXT)",
        "CREATE VIEW recent AS SELECT id, name FROM orders WHERE id > 10",
    )  # fmt: skip

    done = run(root)

    assert done.ok, done.results
    assert _columns(root / "lake.sqlite", "orders") == [("id", "INTEGER"), ("name", "TEXT")]
