"""Session 26: two `hygge go` at once — on one workspace, and on two workspaces whose entities
write one store (a parquet folder, a SQLite table). The store holds exactly one workspace's
rows, never a mix; the one refused is told why. Made deterministic: the first workspace's run
is killed just before its publish, the second runs whole, then the first goes again."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from hygge.cli.app import app
from hygge.faults import CRASH_EXIT_CODE
from tests.support.data import content_hash, orders
from tests.support.sql_stores import read_sqlite
from tests.support.workspace import REPO, crash, land, read_lake, write_workspace

FLOW = """\
home: {type: parquet, path: landing}
store: %s
run_type: incremental
watermark: {column: id}
entities: [orders]
"""
A, B = orders(50), orders(50, start=1000)


def _hygge(ws: Path, *args: str) -> tuple[int, str]:
    done = CliRunner(env={"COLUMNS": "400"}).invoke(
        app, [*args, "-w", str(ws)], catch_exceptions=False
    )
    return done.exit_code, " ".join(done.output.split())


def _two(tmp_path: Path, store: str) -> tuple[Path, Path]:
    """Workspaces a and b, each landing its own 50 orders, both writing `store`."""
    made = []
    for name, rows in (("a", A), ("b", B)):
        ws = write_workspace(tmp_path / name, {"shop": FLOW % store}, f"name: {name}\n")
        land(ws, "orders", "x", rows)
        made.append(ws)
    return made[0], made[1]


def _same(found: pl.DataFrame | None, source: pl.DataFrame) -> bool:
    if found is None or found.height != source.height:
        return False
    return content_hash(found.select(source.columns).cast(dict(source.schema))) == content_hash(
        source
    )


def _sqlite_table(tmp_path: Path, table: str = "orders") -> pl.DataFrame | None:
    return read_sqlite(tmp_path / "shared" / "wh.sqlite", table, A.schema)


def test_two_goes_at_once_on_one_workspace_load_the_source_once(tmp_path):
    ws = write_workspace(tmp_path / "ws", {"shop": FLOW % "lake"}, "name: shop\n")
    land(ws, "orders", "x", orders(2_000))
    command = [sys.executable, "-m", "hygge", "go", "-w", str(ws)]
    runs = [
        subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for _ in range(3)
    ]
    ended = [(run.wait(), " ".join(run.communicate()[0].decode().split())) for run in runs]

    assert 0 in [code for code, _ in ended], ended
    for code, said in ended:
        assert code == 0 or "is being moved by run" in said, said  # it names the holder
    assert _same(read_lake(ws, "orders"), orders(2_000))
    assert _hygge(ws, "go")[0] == 0  # nothing new: nothing doubled
    assert _same(read_lake(ws, "orders"), orders(2_000))


def test_a_workspace_that_loses_a_shared_parquet_folder_is_refused_and_mixes_nothing(tmp_path):
    a, b = _two(tmp_path, f"{{type: parquet, path: {tmp_path / 'shared' / 'lake'}}}")
    assert crash(a, "before_publish") == CRASH_EXIT_CODE
    assert _hygge(b, "go")[0] == 0

    code, said = _hygge(a, "go")

    assert code == 1, said
    assert "workspace 'b'" in said, said
    lake = tmp_path / "shared"
    assert _same(read_lake(lake, "orders", lake="lake"), B)


def test_a_workspace_that_loses_a_shared_sqlite_table_is_refused_and_mixes_nothing(tmp_path):
    a, b = _two(tmp_path, f"{{type: sqlite, path: {tmp_path / 'shared/wh.sqlite'}, table: orders}}")
    assert crash(a, "before_publish") == CRASH_EXIT_CODE
    assert _hygge(b, "go")[0] == 0

    code, said = _hygge(a, "go")

    assert code == 1, said
    assert "belongs to entity shop.orders of workspace 'b'" in said, said
    assert _same(_sqlite_table(tmp_path), B)


def test_a_workspace_that_loses_a_shared_sqlite_table_loads_into_another_table_as_advised(
    tmp_path,
):
    a, b = _two(tmp_path, f"{{type: sqlite, path: {tmp_path / 'shared/wh.sqlite'}, table: orders}}")
    assert crash(a, "before_publish") == CRASH_EXIT_CODE
    assert _hygge(b, "go")[0] == 0
    assert _hygge(a, "go")[0] == 1
    flow = a / "flows" / "shop" / "flow.yml"
    flow.write_text(flow.read_text().replace("table: orders}", "table: orders_a}"))

    code, said = _hygge(a, "go")

    assert code == 0, said
    assert _same(_sqlite_table(tmp_path, "orders_a"), A)
    assert _same(_sqlite_table(tmp_path), B)
