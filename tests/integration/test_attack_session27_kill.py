"""Session 27: `kill -9` of a real `hygge go` at seeded random moments (not only at the
fault matrix's step boundaries: inside a file's write, a SQLite or DuckDB insert, a Delta
commit), then `hygge go --resume` or a plain `hygge go`, while the landing zone grows between
rounds. After every round the store is compared with the landing files: count and content
hash equal, nothing lost, nothing doubled. Where a kill lands varies with the machine's load;
the assertion holds wherever it lands."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import polars as pl
import pytest

from tests.support.cli import HYGGE
from tests.support.data import content_hash
from tests.support.workspace import write_workspace

STORES = {
    "parquet": "{type: parquet, path: lake, batch_size: 3000}",
    "sqlite": "{type: sqlite, path: wh.sqlite, table: events}",
    "duckdb": "{type: duckdb, path: wh.duckdb, table: events}",
    "delta": "{type: delta, path: dl}",
}
FLOW = """\
home: {type: local, path: landing, format: csv, batch_size: 1000}
store: %s
run_type: %s
entities: [events]
"""
ROWS = 4_000


def _land(ws: Path, index: int) -> None:
    ids = range(index * ROWS, (index + 1) * ROWS)
    frame = pl.DataFrame({"id": list(ids), "name": [f'n{i} é,"q"' for i in ids]})
    frame.write_csv(ws / "landing" / "events" / f"f{index:03d}.csv")


def _source(ws: Path) -> pl.DataFrame:
    files = sorted((ws / "landing" / "events").glob("*.csv"))
    return pl.concat([pl.read_csv(p, infer_schema=False) for p in files])


def _stored(ws: Path, store: str) -> pl.DataFrame:
    empty = pl.DataFrame({"id": [], "name": []}, schema={"id": pl.String, "name": pl.String})
    if store == "parquet":
        files = sorted((ws / "lake" / "events").glob("*.parquet"))
        found = pl.concat([pl.read_parquet(f) for f in files]) if files else empty
    elif store == "sqlite":
        with sqlite3.connect(ws / "wh.sqlite") as connection:
            rows = connection.execute("SELECT id, name FROM events").fetchall()
        found = pl.DataFrame(rows, schema=["id", "name"], orient="row") if rows else empty
    elif store == "duckdb":
        import duckdb

        with duckdb.connect(str(ws / "wh.duckdb"), read_only=True) as connection:
            found = connection.sql("SELECT id, name FROM events").pl()
    else:
        found = pl.read_delta(str(ws / "dl" / "events")).select("id", "name")
    return found.select(pl.col("id", "name").cast(pl.String))


def _go(ws: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "300"}
    env.pop("HYGGE_FAULT", None)
    return subprocess.run(
        [HYGGE, "go", *args], cwd=ws, env=env, capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize("run_type", ["incremental", "full_drop"])
@pytest.mark.parametrize("store", list(STORES))
def test_kill_9_at_random_moments_then_a_rerun_lands_the_source_once(tmp_path, store, run_type):
    seeded = random.Random(f"{store}-{run_type}")
    ws = write_workspace(
        tmp_path / "ws",
        {"feed": FLOW % (STORES[store], run_type)},
        "name: k\noptions: {checkpoint_rows: 3000}\n",
    )
    (ws / "landing" / "events").mkdir(parents=True)
    for index in range(4):
        _land(ws, index)
    for round_ in range(3):
        if round_:
            _land(ws, 3 + round_)
        env = {k: v for k, v in os.environ.items() if k != "HYGGE_FAULT"}
        child = subprocess.Popen([HYGGE, "go"], cwd=ws, env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)  # fmt: skip
        time.sleep(seeded.uniform(0.3, 1.8))
        child.send_signal(signal.SIGKILL)
        child.wait()
        resumed = _go(ws, "--resume") if seeded.random() < 0.5 else None
        assert resumed is None or resumed.returncode == 0, resumed.stdout + resumed.stderr
        done = _go(ws)
        assert done.returncode == 0, done.stdout + done.stderr

        source, stored = _source(ws), _stored(ws, store)
        assert stored.height == source.height, (round_, done.stdout)
        assert content_hash(stored) == content_hash(source), round_
