"""A first full_drop of a source with columns and no rows (a 0-row parquet file): a store that
creates its table from the data creates it empty with the source's columns, from the columns
the engine read (`Staging.arrow_schema`). Delta's case is in test_delta_files.py."""

from __future__ import annotations

import pytest

from tests.support.cli import hygge
from tests.support.data import orders
from tests.support.workspace import land, write_workspace

duckdb = pytest.importorskip("duckdb", reason="the duckdb extra (pip install 'hygge-el[duckdb]')")

FLOW = "home: {type: parquet, path: landing}\nstore: %s\nentities: [orders]\n"


def test_a_duckdb_store_creates_an_empty_table_with_the_sources_columns(tmp_path):
    write_workspace(tmp_path, {"d": FLOW % "{type: duckdb, path: w.duckdb}"})
    land(tmp_path, "orders", "p1", orders(3).clear())

    done = hygge(tmp_path, "go")

    assert done.returncode == 0, done.stdout + done.stderr
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as db:
        columns = db.sql("DESCRIBE main.orders").fetchall()
        assert [c[0] for c in columns] == orders(1).columns
        assert [c[1] for c in columns] == ["BIGINT", "VARCHAR", "DOUBLE", "TIMESTAMP"]
        assert db.sql("SELECT count(*) FROM main.orders").fetchall() == [(0,)]
    land(tmp_path, "orders", "p2", orders(2))
    assert hygge(tmp_path, "go").returncode == 0
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as db:
        assert db.sql("SELECT count(*) FROM main.orders").fetchall() == [(2,)]


def test_a_parquet_lake_keeps_an_empty_entity_folder(tmp_path):
    # A parquet lake's entity is its folder of files: a 0-row run leaves none (as a full_drop
    # of an empty source empties it), so there is no file to carry the columns.
    write_workspace(tmp_path, {"d": FLOW % "{type: parquet, path: lake}"})
    land(tmp_path, "orders", "p1", orders(3).clear())

    done = hygge(tmp_path, "go")

    assert done.returncode == 0, done.stdout + done.stderr
    assert "the entity is now empty" in done.stdout
    assert not list((tmp_path / "lake").rglob("*.parquet"))
