"""Session 27: two `hygge go` started at the same moment on two workspaces whose entities
write one store (a SQLite table, a DuckDB table, a parquet folder), no fault injected: the
SQLite publish (BEGIN IMMEDIATE), DuckDB's one-writer file lock and the folder's owner record
decide. Exactly one workspace's rows are in the store, never a mix; the other exits 1 saying
why, and running it again changes nothing."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import polars as pl
import pytest

from hygge.faults import CRASH_EXIT_CODE
from tests.support.cli import HYGGE
from tests.support.data import content_hash, orders
from tests.support.workspace import crash, land, write_workspace

FLOW = """\
home: {type: parquet, path: landing}
store: %s
run_type: incremental
watermark: {column: id}
entities: [orders]
"""
SOURCES = {"a": orders(20_000), "b": orders(20_000, start=100_000)}
STORES = {
    "sqlite": "{type: sqlite, path: %s/wh.sqlite, table: orders}",
    "duckdb": "{type: duckdb, path: %s/wh.duckdb, table: orders}",
    "parquet": "{type: parquet, path: %s/lake}",
}
# The loser is told the other workspace owns the place, or (DuckDB, while the winner writes)
# that the database file is open in the winner's process.
REFUSALS = ("belongs to entity shop.orders of workspace", "is open in another process")


def _stored(shared: Path, store: str) -> pl.DataFrame:
    columns = "SELECT id, customer FROM orders"
    if store == "sqlite":
        with sqlite3.connect(shared / "wh.sqlite") as connection:
            return pl.DataFrame(
                connection.execute(columns).fetchall(), ["id", "customer"], orient="row"
            )
    if store == "duckdb":
        import duckdb

        with duckdb.connect(str(shared / "wh.duckdb"), read_only=True) as connection:
            return connection.sql(columns).pl()
    files = sorted((shared / "lake" / "orders").glob("*.parquet"))
    return pl.concat([pl.read_parquet(f).select("id", "customer") for f in files])


def _go(ws: Path, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "HYGGE_FAULT"} | {"COLUMNS": "400"}
    return subprocess.Popen([HYGGE, "go", *args, "-w", str(ws)], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip


@pytest.mark.parametrize("store", list(STORES))
def test_two_workspaces_racing_for_one_store_leave_one_workspaces_rows(tmp_path, store):
    shared = tmp_path / "shared"
    shared.mkdir()
    spaces = {}
    for name, rows in SOURCES.items():
        ws = write_workspace(tmp_path / name, {"shop": FLOW % (STORES[store] % shared)},
                             f"name: {name}\n")  # fmt: skip
        land(ws, "orders", "x", rows)
        spaces[name] = ws
    runs = {name: _go(ws) for name, ws in spaces.items()}
    ended = {
        name: (run.wait(), " ".join(run.communicate()[0].split())) for name, run in runs.items()
    }

    winners = [name for name, (code, _) in ended.items() if code == 0]
    assert len(winners) == 1, ended
    [winner] = winners
    [loser] = [name for name in SOURCES if name != winner]
    assert ended[loser][0] == 1, ended[loser]
    assert any(refusal in ended[loser][1] for refusal in REFUSALS), ended[loser]
    expected = SOURCES[winner].select("id", "customer")
    assert content_hash(_stored(shared, store)) == content_hash(expected)

    again = _go(spaces[loser])
    assert again.wait() == 1, again.communicate()[0]
    assert content_hash(_stored(shared, store)) == content_hash(expected)


def test_a_refused_resume_drops_its_staging_table_and_leaves_no_run_behind(tmp_path):
    """PublishRefusedError through `hygge go --resume`: the killed run's staging table goes,
    no checkpoint or watermark is left, the journal says why, and a dry run still refuses."""
    shared = tmp_path / "shared"
    shared.mkdir()
    spaces = {}
    for name, rows in SOURCES.items():
        ws = write_workspace(tmp_path / name, {"shop": FLOW % (STORES["sqlite"] % shared)},
                             f"name: {name}\n")  # fmt: skip
        land(ws, "orders", "x", rows.head(50))
        spaces[name] = ws
    assert crash(spaces["a"], "before_publish") == CRASH_EXIT_CODE
    assert _go(spaces["b"]).wait() == 0
    assert len(_stagings(shared)) == 2  # a's staging table, and its row in _hygge_stagings

    resumed = _go(spaces["a"], "--resume")
    said = " ".join(resumed.communicate()[0].split())

    assert resumed.returncode == 1, said
    assert "PublishRefusedError" in said and "workspace 'b'" in said, said
    assert _stagings(shared) == []
    state = spaces["a"] / ".hygge"
    assert not list(state.glob("checkpoints/**/*.json")) and not list(state.glob("watermarks/**/*"))
    assert content_hash(_stored(shared, "sqlite")) == content_hash(
        SOURCES["b"].head(50).select("id", "customer")
    )
    dry = _go(spaces["a"], "--dry-run")
    assert dry.wait() == 1 and "workspace 'b'" in " ".join(dry.communicate()[0].split())


def _stagings(shared: Path) -> list[str]:
    with sqlite3.connect(shared / "wh.sqlite") as connection:
        tables = connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '_hygge_stage_%'"
        ).fetchall()
        rows = connection.execute("SELECT location FROM _hygge_stagings").fetchall()
    return [t for (t,) in tables] + [r for (r,) in rows]
