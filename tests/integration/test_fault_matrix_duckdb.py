"""The fault matrix for the DuckDB store (`type: duckdb`), as for the file stores.

Every named fault point x full_drop, incremental and merge: `raise` fails the step in process;
`exit` kills the process (os._exit, as `kill -9`) in a child. After the fault a plain run
resumes or restarts, and the table equals the source: row count and an order-insensitive
content hash; the watermark, checkpoint and locks are settled.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from hygge.config import load_workspace
from hygge.faults import CRASH_EXIT_CODE, FAULT_POINTS, reset_faults
from hygge.stores.duckdb_database import close_databases
from hygge.stores.duckdb_names import TableName
from hygge.types import RunStatus
from tests.support.data import content_hash, orders
from tests.support.duckdb_lake import read_table
from tests.support.workspace import (
    assert_state_is_settled,
    crash,
    land,
    run,
    state_of,
    write_workspace,
)

pytest.importorskip("duckdb", reason="the duckdb extra (pip install 'hygge-el[duckdb]')")

FLOW = """\
home: {type: parquet, path: landing, batch_size: 4}
store: {type: duckdb, path: lake.duckdb, table: "{entity}", batch_size: 5}
run_type: %s
key_columns: [id]
watermark: {column: updated_at}
entities: [orders]
"""
RUN_TYPES = ["full_drop", "incremental", "merge"]


def prepare(root: Path, run_type: str) -> pl.DataFrame:
    """A workspace with one completed run, then new data landed; returns the full source."""
    write_workspace(root, {"shop": FLOW % run_type})
    land(root, "orders", "a", orders(12))
    assert run(root).ok
    land(root, "orders", "b", orders(11, start=12))
    return orders(23)


def assert_table_matches(root: Path, source: pl.DataFrame) -> None:
    table = read_table(root / "lake.duckdb", TableName("main", "orders"), source.schema)
    assert table is not None
    assert table.height == source.height
    assert content_hash(table) == content_hash(source)


@pytest.mark.parametrize("run_type", RUN_TYPES)
@pytest.mark.parametrize("point", FAULT_POINTS)
def test_an_error_at_any_step_then_a_rerun_leaves_the_table_equal_to_the_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, point: str, run_type: str
) -> None:
    root = tmp_path / "ws"
    source = prepare(root, run_type)
    monkeypatch.setenv("HYGGE_FAULT", f"{point}:raise")
    reset_faults()

    failed = run(root)

    expected = RunStatus.SUCCESS if point == "after_journal" else RunStatus.FAIL
    assert failed.results[0].status is expected, failed.results
    monkeypatch.delenv("HYGGE_FAULT")
    rerun = run(root)
    assert rerun.ok, rerun.results
    assert_table_matches(root, source)
    assert_state_is_settled(root, source)


@pytest.mark.parametrize("run_type", RUN_TYPES)
@pytest.mark.parametrize("point", FAULT_POINTS)
def test_a_killed_process_at_any_step_resumes_without_loss_or_duplicates(
    tmp_path: Path, point: str, run_type: str
) -> None:
    root = tmp_path / "ws"
    source = prepare(root, run_type)
    close_databases()  # this process lets go of the file, as a finished `hygge go` does

    assert crash(root, point) == CRASH_EXIT_CODE

    assert state_of(load_workspace(root)).list_locks(), "the dead run's lock is left behind"
    rerun = run(root)
    assert rerun.ok, rerun.results
    assert_table_matches(root, source)
    assert_state_is_settled(root, source)
