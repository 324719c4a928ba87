"""Session 26's attack on "reset marks the next run full_drop", as a hostile new user: reset
twice, change one's mind (`--keep-data` after a plain reset, or the other way round) before
the next run, reset an entity that never ran, reset one whose store is a table the user owns
(`if_exists: append`), `--keep-data` then `--orphaned`. Every store is read back and compared
with the source (row count and content hash), never only the exit code."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from hygge.cli.app import app
from hygge.faults import CRASH_EXIT_CODE
from tests.support.data import content_hash, orders
from tests.support.sql_stores import execute_sqlite, read_sqlite
from tests.support.workspace import REPO, crash, land, read_lake, write_workspace

FLOW = """\
home: {type: parquet, path: landing}
store: %s
run_type: incremental
watermark: {column: id}
entities: [orders]
"""
ADOPTING = "{type: sqlite, path: wh.sqlite, table: '{entity}', if_exists: append}"
USERS = pl.DataFrame({"id": [100, 101], "name": ["u0", "u1"]})
LANDED = pl.DataFrame({"id": [1, 2], "name": ["a", "b"]})


def _hygge(ws: Path, *args: str) -> tuple[int, str]:
    done = CliRunner(env={"COLUMNS": "400"}).invoke(
        app, [*args, "-w", str(ws)], catch_exceptions=False
    )
    return done.exit_code, " ".join(done.output.split())


def _ok(ws: Path, *args: str) -> str:
    code, said = _hygge(ws, *args)
    assert code == 0, said
    return said


def _reset(ws: Path, *extra: str) -> str:
    return _ok(ws, "reset", "-f", "shop", "-e", "orders", "--yes", *extra)


def _mark(ws: Path) -> dict[str, object]:
    return json.loads((ws / ".hygge" / "resets" / "shop" / "orders.json").read_text())


def _lake(tmp_path: Path, rows: int = 12) -> Path:
    ws = write_workspace(tmp_path / "ws", {"shop": FLOW % "lake"}, "name: shop\n")
    land(ws, "orders", "a", orders(rows))
    return ws


def _empty_lake(ws: Path) -> None:
    """What `--keep-data` is for: the user empties the store (its data files) first."""
    for found in (ws / "lake" / "orders").glob("*.parquet"):
        found.unlink()


def _assert_lake_holds(ws: Path, source: pl.DataFrame) -> None:
    lake = read_lake(ws, "orders").select(source.columns)
    assert lake.height == source.height
    assert content_hash(lake) == content_hash(source)


def _adopted(tmp_path: Path) -> Path:
    """An incremental entity into the user's own SQLite table, loaded once."""
    ws = write_workspace(tmp_path / "ws", {"shop": FLOW % ADOPTING}, "name: shop\n")
    land(ws, "orders", "a", LANDED)
    execute_sqlite(
        ws / "wh.sqlite",
        "CREATE TABLE orders (id BIGINT, name VARCHAR(20))",
        "INSERT INTO orders VALUES (100, 'u0'), (101, 'u1')",
    )
    _ok(ws, "go")
    return ws


def _table(ws: Path) -> pl.DataFrame:
    found = read_sqlite(ws / "wh.sqlite", "orders")
    assert found is not None
    return found.select("id", "name").cast({"id": pl.Int64}).sort("id")


def test_a_second_reset_before_a_run_changes_nothing_and_the_run_holds_the_rows_once(tmp_path):
    ws = _lake(tmp_path)
    _ok(ws, "go")
    _reset(ws)

    again = _reset(ws)

    assert "Nothing to reset" in again, again
    assert _mark(ws)["full_drop_next"] is True
    assert "first run after reset: full_drop" in _ok(ws, "go")
    _assert_lake_holds(ws, orders(12))


def test_keep_data_after_a_plain_reset_makes_the_next_run_append(tmp_path):
    ws = _lake(tmp_path)
    _ok(ws, "go")
    _reset(ws)
    _empty_lake(ws)

    said = _reset(ws, "--keep-data")
    went = _ok(ws, "go")

    assert "forgot the last reset's full_drop (its first run has not published)" in said, said
    assert _mark(ws)["full_drop_next"] is False
    assert "first run after reset" not in went, went
    _assert_lake_holds(ws, orders(12))  # appended into the emptied lake, as asked


def test_a_plain_reset_after_keep_data_makes_the_next_run_replace_again(tmp_path):
    ws = _lake(tmp_path)
    _ok(ws, "go")
    _empty_lake(ws)
    _reset(ws, "--keep-data")

    said = _reset(ws)
    went = _ok(ws, "go")

    assert "forgot the last reset's --keep-data" in said, said
    assert "first run after reset: full_drop" in went, went
    _assert_lake_holds(ws, orders(12))


def test_a_reset_again_keeps_forgetting_the_runs_the_first_reset_forgot(tmp_path):
    ws = _lake(tmp_path)
    _ok(ws, "go")
    _reset(ws)
    first = _mark(ws)["runs"]
    _empty_lake(ws)

    _reset(ws, "--keep-data")

    assert first and set(first) <= set(_mark(ws)["runs"])  # type: ignore[arg-type]


def test_a_reset_of_an_entity_that_never_ran_leaves_no_record_and_the_run_loads_once(tmp_path):
    ws = _lake(tmp_path)

    said = _reset(ws)
    went = _ok(ws, "go")

    assert "Nothing to reset" in said, said
    assert not (ws / ".hygge" / "resets").exists() or not any((ws / ".hygge/resets").rglob("*"))
    assert "first run after reset" not in went, went
    _assert_lake_holds(ws, orders(12))


def test_a_keep_data_reset_into_a_users_table_is_refused_too_and_nothing_doubles(tmp_path):
    ws = _adopted(tmp_path)
    code, refused = _hygge(ws, "reset", "-f", "shop", "-e", "orders", "--yes")
    assert code == 1 and "--keep-data" not in refused, refused  # no advice that doubles rows

    code, said = _hygge(ws, "reset", "-f", "shop", "-e", "orders", "--yes", "--keep-data")
    went = _ok(ws, "go")

    assert code == 1 and "would appear twice" in said, said
    assert "skip shop.orders no rows" in went, went  # the watermark was kept
    assert _table(ws).equals(pl.concat([LANDED, USERS]).sort("id"))


def test_a_reset_of_an_entity_whose_store_is_a_users_table_says_the_next_run_is_refused(tmp_path):
    ws = _adopted(tmp_path)

    code, said = _hygge(ws, "reset", "-f", "shop", "-e", "orders", "--yes")

    assert "holds rows hygge did not write" in said, said
    assert code == 1, said
    assert _table(ws).equals(pl.concat([LANDED, USERS]).sort("id"))


def test_keep_data_then_orphaned_then_back_appends_everything_once_more(tmp_path):
    ws = _lake(tmp_path)
    _ok(ws, "go")
    _empty_lake(ws)
    _reset(ws, "--keep-data")
    flow = ws / "flows" / "shop" / "flow.yml"
    flow.write_text(flow.read_text().replace("[orders]", "[other]"))

    said = _ok(ws, "reset", "--orphaned", "-f", "shop", "-e", "orders", "--yes")
    flow.write_text(flow.read_text().replace("[other]", "[orders]"))
    went = _ok(ws, "go")

    assert "forgot the record of its last reset" in said, said
    assert not (ws / ".hygge" / "resets" / "shop" / "orders.json").exists()
    assert "first run after reset" not in went, went
    _assert_lake_holds(ws, orders(12))


def test_orphaned_of_an_entity_still_in_the_workspace_is_refused_and_keeps_the_mark(tmp_path):
    ws = _lake(tmp_path)
    _ok(ws, "go")
    _reset(ws)

    code, said = _hygge(ws, "reset", "--orphaned", "-f", "shop", "-e", "orders", "--yes")

    assert code == 2, said
    assert "--orphaned is only for entities removed from it" in said, said
    assert _mark(ws)["full_drop_next"] is True
    _ok(ws, "go")
    _assert_lake_holds(ws, orders(12))


@pytest.mark.parametrize("extra", [(), ("--keep-data",)], ids=["plain", "keep-data"])
def test_a_reset_of_the_killed_first_run_after_reset_then_go_holds_every_row_once(tmp_path, extra):
    """A plain reset: the next run replaces the lake. --keep-data: refused while the lake
    still holds the rows (they would appear twice); once the user empties it, the next run
    appends every row into it once."""
    ws = write_workspace(
        tmp_path / "ws", {"shop": FLOW % "lake"}, "name: shop\noptions: {checkpoint_rows: 5}\n"
    )
    land(ws, "orders", "a", orders(12))
    _ok(ws, "go")
    _reset(ws)
    assert crash(ws, "after_checkpoint") == CRASH_EXIT_CODE
    if extra:
        code, refused = _hygge(ws, "reset", "-f", "shop", "-e", "orders", "--yes", *extra)
        assert code == 1 and "would appear twice" in refused, refused
        _empty_lake(ws)

    said = _reset(ws, *extra)
    _ok(ws, "go")

    assert "forgot interrupted run" in said, said
    _assert_lake_holds(ws, orders(12))


def test_a_reset_of_the_first_run_after_reset_killed_before_publish_is_refused_until_finished(
    tmp_path,
):
    ws = _lake(tmp_path)
    _ok(ws, "go")
    _reset(ws)
    assert crash(ws, "before_publish") == CRASH_EXIT_CODE

    code, said = _hygge(ws, "reset", "-f", "shop", "--yes")

    assert code == 1 and "Finish it first with `hygge go --resume -e shop.orders`" in said, said
    _ok(ws, "go")
    _assert_lake_holds(ws, orders(12))
    assert _mark(ws)["full_drop_next"] is False


def test_a_reset_while_a_stopped_go_holds_the_lock_is_refused_and_the_go_finishes(tmp_path):
    ws = write_workspace(
        tmp_path / "ws", {"shop": FLOW % "lake"}, "name: shop\noptions: {checkpoint_rows: 5}\n"
    )
    land(ws, "orders", "a", orders(12))
    _ok(ws, "go")
    _reset(ws)
    env = {**os.environ, "HYGGE_FAULT": "after_checkpoint:stop"}
    command = [sys.executable, "-m", "hygge", "go", "-w", str(ws)]
    child = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "T":
            assert child.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)

        code, said = _hygge(ws, "reset", "-f", "shop", "--yes", "--keep-data")
    finally:
        os.kill(child.pid, signal.SIGCONT)
    assert child.wait(timeout=180) == 0

    assert code == 1 and "cannot reset shop.orders: shop.orders is being moved by run" in said, said
    _assert_lake_holds(ws, orders(12))  # the go replaced, as the first reset said
    assert _mark(ws)["full_drop_next"] is False
