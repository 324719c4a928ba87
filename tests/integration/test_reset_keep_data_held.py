"""`hygge reset --keep-data` of an incremental entity whose store still holds the rows hygge
loaded is refused, naming what the store holds and what to do, and forgets nothing (its next
run would append every source row to them, so each would appear twice). Once the user has
emptied the store, as `--keep-data` is for, the reset goes ahead and the next run appends
every row once: a parquet lake, a Delta table, a SQLite and a DuckDB table alike."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import duckdb
import polars as pl
import pytest
from deltalake import DeltaTable
from typer.testing import CliRunner

from hygge.cli.app import app
from hygge.stores.duckdb_database import close_databases
from hygge.stores.duckdb_names import TableName
from tests.support.data import content_hash, orders
from tests.support.duckdb_lake import read_table
from tests.support.sql_stores import read_sqlite
from tests.support.workspace import land, read_lake, write_workspace

FLOW = """\
home: {type: parquet, path: landing}
store: %s
run_type: incremental
watermark: {column: updated_at}
entities: [orders]
"""
Reader = Callable[[Path], pl.DataFrame | None]


def _empty_lake(ws: Path) -> None:
    for published in (ws / "lake" / "orders").rglob("*.parquet"):
        published.unlink()


def _empty_delta(ws: Path) -> None:
    DeltaTable(str(ws / "tables" / "orders")).delete()


def _empty_sqlite(ws: Path) -> None:
    with sqlite3.connect(ws / "wh.sqlite") as connection:
        connection.execute("DELETE FROM orders")


def _empty_duckdb(ws: Path) -> None:
    close_databases()
    with duckdb.connect(str(ws / "wh.duckdb")) as connection:
        connection.execute("DELETE FROM orders")


STORES: dict[str, tuple[str, str, Callable[[Path], None], Reader]] = {
    "parquet": (
        "lake", "published .parquet file(s) in", _empty_lake, lambda ws: read_lake(ws, "orders")
    ),
    "delta": (
        "{type: delta, path: tables}", "data file(s) in delta", _empty_delta,
        lambda ws: pl.read_delta(str(ws / "tables" / "orders")),
    ),
    "sqlite": (
        "{type: sqlite, path: wh.sqlite, table: '{entity}'}", "12 row(s) in table", _empty_sqlite,
        lambda ws: read_sqlite(ws / "wh.sqlite", "orders", orders(0).schema),
    ),
    "duckdb": (
        "{type: duckdb, path: wh.duckdb, table: '{entity}'}", "12 row(s) in table", _empty_duckdb,
        lambda ws: read_table(ws / "wh.duckdb", TableName("main", "orders")),
    ),
}  # fmt: skip


def _hygge(ws: Path, *args: str) -> tuple[int, str]:
    done = CliRunner(env={"COLUMNS": "400"}).invoke(
        app, [*args, "-w", str(ws)], catch_exceptions=False
    )
    close_databases()  # the next step (or the test) opens the DuckDB file itself
    return done.exit_code, " ".join(done.output.split())


def _holds(ws: Path, read: Reader, source: pl.DataFrame) -> None:
    found = read(ws)
    assert found is not None
    table = found.select(source.columns).cast(dict(source.schema))  # type: ignore[arg-type]
    assert table.height == source.height
    assert content_hash(table) == content_hash(source)


@pytest.mark.parametrize("kind", list(STORES))
def test_keep_data_is_refused_while_the_store_holds_rows_and_appends_once_when_emptied(
    tmp_path: Path, kind: str
) -> None:
    store, holds, empty, read = STORES[kind]
    ws = write_workspace(tmp_path / "ws", {"shop": FLOW % store}, "name: shop\n")
    land(ws, "orders", "a", orders(12))
    assert _hygge(ws, "go")[0] == 0

    code, said = _hygge(ws, "reset", "-f", "shop", "--yes", "--keep-data")

    assert code == 1, said
    assert "cannot reset shop.orders with --keep-data: its store holds" in said, said
    assert holds in said, said
    assert "would appear twice" in said and "Leave out --keep-data" in said, said
    assert "Nothing was reset" in said, said
    code, went = _hygge(ws, "go")
    assert code == 0 and "skip shop.orders" in went, went  # the watermark was kept
    _holds(ws, read, orders(12))

    empty(ws)
    code, said = _hygge(ws, "reset", "-f", "shop", "--yes", "--keep-data")
    assert code == 0 and "forgot watermark" in said, said
    code, went = _hygge(ws, "go")
    assert code == 0 and "first run after reset" not in went, went
    _holds(ws, read, orders(12))


@pytest.mark.parametrize("kind", ["parquet", "delta"])
def test_a_plain_reset_of_a_store_that_holds_rows_still_replaces_them(
    tmp_path: Path, kind: str
) -> None:
    store, _, _, read = STORES[kind]
    ws = write_workspace(tmp_path / "ws", {"shop": FLOW % store}, "name: shop\n")
    land(ws, "orders", "a", orders(12))
    assert _hygge(ws, "go")[0] == 0

    code, said = _hygge(ws, "reset", "-f", "shop", "--yes")
    assert code == 0, said
    code, went = _hygge(ws, "go")

    assert code == 0 and "first run after reset: full_drop" in went, went
    _holds(ws, read, orders(12))


def test_keep_data_of_a_merge_entity_is_not_refused(tmp_path: Path) -> None:
    """A merge upserts on its keys after a reset: nothing doubles, so nothing to refuse."""
    flow = (FLOW % STORES["sqlite"][0]).replace("incremental", "merge\nkey_columns: [id]")
    ws = write_workspace(tmp_path / "ws", {"shop": flow}, "name: shop\n")
    land(ws, "orders", "a", orders(12))
    assert _hygge(ws, "go")[0] == 0

    code, said = _hygge(ws, "reset", "-f", "shop", "--yes", "--keep-data")
    assert code == 0, said
    assert _hygge(ws, "go")[0] == 0
    _holds(ws, STORES["sqlite"][3], orders(12))
