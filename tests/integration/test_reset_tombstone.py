"""`hygge reset` makes the next run reload in full, also into stores that keep their own
completion marker (DuckDB, SQLite, PostgreSQL): the reset's tombstone in state keeps that
marker from bringing the forgotten watermark back, while a marker of a later run still
restores a watermark the state lost. That reload replaces the store's rows (a full_drop
publish), so the 2 landed rows are there once."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tests.support.cli import hygge
from tests.support.sql_stores import PASSWORD_VARIABLE, read_postgres, read_sqlite
from tests.support.workspace import land, write_workspace

SQLITE_FLOW = """\
home: {type: parquet, path: landing}
store: {type: sqlite, path: wh.sqlite, table: '{entity}'}
run_type: incremental
watermark: {column: id}
entities: [orders]
"""


def _said(done) -> str:
    return " ".join((done.stdout + done.stderr).split())


def _go(ws: Path, env: dict[str, str] | None = None) -> str:
    done = hygge(ws, "go", env=env)
    assert done.returncode == 0, _said(done)
    return _said(done)


def _reset(ws: Path, env: dict[str, str] | None = None) -> None:
    done = hygge(ws, "reset", "-f", "f", "--yes", env=env)
    assert done.returncode == 0 and "forgot watermark" in _said(done), _said(done)


def _sqlite_ws(tmp_path: Path) -> Path:
    ws = write_workspace(tmp_path / "ws", {"f": SQLITE_FLOW}, "name: shop\n")
    land(ws, "orders", "a", pl.DataFrame({"id": [1, 2]}))
    return ws


def _sqlite_rows(ws: Path) -> int:
    found = read_sqlite(ws / "wh.sqlite", "orders")
    assert found is not None
    return found.height


def test_reset_of_an_incremental_sqlite_entity_reloads_in_full(tmp_path):
    ws = _sqlite_ws(tmp_path)
    _go(ws)
    _reset(ws)

    said = _go(ws)

    assert "success f.orders 2 rows" in said, said
    assert _sqlite_rows(ws) == 2


def test_reset_writes_its_tombstone_in_the_state_folder(tmp_path):
    ws = _sqlite_ws(tmp_path)
    _go(ws)

    _reset(ws)

    assert (ws / ".hygge" / "resets" / "f" / "orders.json").is_file()
    assert not (ws / ".hygge" / "watermarks" / "f" / "orders.json").exists()


def test_a_marker_of_a_run_after_the_reset_still_restores_a_lost_watermark(tmp_path):
    ws = _sqlite_ws(tmp_path)
    _go(ws)
    _reset(ws)
    _go(ws)  # reloads in full: 4 rows, the store's marker names this run
    (ws / ".hygge" / "watermarks" / "f" / "orders.json").unlink()  # state lost its write

    said = _go(ws)

    assert "continues from the store's watermark (id = 2)" in said, said
    assert "skip f.orders no rows" in said, said
    assert _sqlite_rows(ws) == 2


def test_a_second_reset_forgets_the_marker_of_the_run_after_the_first(tmp_path):
    ws = _sqlite_ws(tmp_path)
    _go(ws)
    _reset(ws)
    _go(ws)
    _reset(ws)

    said = _go(ws)

    assert "success f.orders 2 rows" in said, said
    assert _sqlite_rows(ws) == 2


@pytest.mark.postgres
def test_reset_of_an_incremental_postgres_entity_reloads_in_full(tmp_path, postgres, pg_schema):
    env = {PASSWORD_VARIABLE: postgres.password}
    project = (
        "name: shop\nconnections:\n"
        f"  pg: {{type: postgres, url: '{postgres.url}', password: '${{{PASSWORD_VARIABLE}}}'}}\n"
    )
    flow = (
        "home: {type: parquet, path: landing}\n"
        f"store: {{type: postgres, connection: pg, table: '{pg_schema}.\"{{entity}}\"'}}\n"
        "run_type: incremental\nwatermark: {column: id}\nentities: [orders]\n"
    )
    ws = write_workspace(tmp_path / "ws", {"f": flow}, project)
    land(ws, "orders", "a", pl.DataFrame({"id": [1, 2]}))
    _go(ws, env)
    _reset(ws, env)

    said = _go(ws, env)

    assert "success f.orders 2 rows" in said, said
    found = read_postgres(postgres.conninfo, pg_schema, "orders")
    assert found is not None and found.height == 2


@pytest.mark.parametrize(
    ("store", "count"),
    [
        ("{type: delta, path: tables}", lambda ws: pl.read_delta(str(ws / "tables" / "orders"))),
        (
            "{type: open_mirroring, path: zone}",
            lambda ws: pl.concat(
                pl.read_parquet(p)
                for p in sorted((ws / "zone").rglob("orders/*.parquet"))
                if not p.name.startswith("_")
            ),
        ),
    ],
    ids=["delta", "open_mirroring"],
)
def test_reset_of_an_incremental_entity_reloads_in_full_into_a_delta_or_mirroring_store(
    tmp_path, store, count
):
    flow = SQLITE_FLOW.replace("{type: sqlite, path: wh.sqlite, table: '{entity}'}", store)
    ws = write_workspace(tmp_path / "ws", {"f": flow}, "name: shop\n")
    land(ws, "orders", "a", pl.DataFrame({"id": [1, 2]}))
    _go(ws)
    _reset(ws)

    said = _go(ws)

    assert "success f.orders 2 rows" in said, said
    assert count(ws).height == 2


def test_reset_with_the_state_folder_gone_forgets_the_watermark_the_store_keeps(tmp_path):
    import shutil

    ws = _sqlite_ws(tmp_path)
    _go(ws)
    shutil.rmtree(ws / ".hygge")  # the state is gone; the store's marker still names id = 2

    done = hygge(ws, "reset", "-f", "f", "--yes")

    said = _said(done)
    assert done.returncode == 0 and "forgot watermark id = 2, kept by the store" in said, said
    said = _go(ws)
    assert "success f.orders 2 rows" in said, said
    assert _sqlite_rows(ws) == 2
    again = hygge(ws, "reset", "-f", "f", "--yes")  # the tombstone forgets it: nothing left
    assert again.returncode == 0 and "forgot watermark id = 2" in _said(again), _said(again)
