"""The fault matrix for the Delta store (`type: delta`), on a local folder.

Every named fault point x full_drop, incremental and merge: `raise` fails the step in process;
`exit` kills the process (os._exit, as `kill -9`) in a child. After the fault a plain run
resumes or restarts, and the table equals the source (row count and an order-insensitive
content hash, read back with polars), the watermark, checkpoint and locks are settled, and
the table's log holds one hygge commit per run that published.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from hygge.config import load_workspace
from hygge.faults import CRASH_EXIT_CODE, FAULT_POINTS, reset_faults
from hygge.types import RunStatus
from tests.contract.test_delta_store_contract import read_delta
from tests.support.data import content_hash, orders
from tests.support.workspace import (
    assert_state_is_settled,
    crash,
    land,
    run,
    state_of,
    write_workspace,
)

pytest.importorskip("deltalake", reason="the delta extra (pip install 'hygge-el[delta]')")

FLOW = """\
home: {type: parquet, path: landing, batch_size: 4}
store: {type: delta, path: lake, batch_size: 5}
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


def hygge_commits(table: Path) -> list[str]:
    """The run ids of the hygge commits in the table's log, oldest first."""
    runs = []
    for entry in sorted((table / "_delta_log").glob("*.json")):
        for line in entry.read_text().splitlines():
            info = json.loads(line).get("commitInfo")
            if info and "hygge.commit" in info:
                runs.append(json.loads(info["hygge.commit"])["run_id"])
    return runs


def commits_expected(point: str, run_type: str) -> int:
    """The first run and the faulted one; after a fault past the journal the faulted run is
    done, and the rerun is a run of its own, which a full_drop publishes again."""
    return 3 if point == "after_journal" and run_type == "full_drop" else 2


def assert_table_matches(root: Path, source: pl.DataFrame, commits: int) -> None:
    table = read_delta(root / "lake" / "orders", source.schema)
    assert table is not None
    assert table.height == source.height
    assert content_hash(table) == content_hash(source)
    runs = hygge_commits(root / "lake" / "orders")
    assert len(runs) == commits and len(set(runs)) == commits, f"one commit per run: {runs}"
    assert not list((root / "lake" / "orders" / "_hygge_staging").glob("*/*.parquet"))


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
    assert_table_matches(root, source, commits_expected(point, run_type))
    assert_state_is_settled(root, source)


@pytest.mark.parametrize("run_type", RUN_TYPES)
@pytest.mark.parametrize("point", FAULT_POINTS)
def test_a_killed_process_at_any_step_resumes_without_loss_or_duplicates(
    tmp_path: Path, point: str, run_type: str
) -> None:
    root = tmp_path / "ws"
    source = prepare(root, run_type)

    assert crash(root, point) == CRASH_EXIT_CODE

    assert state_of(load_workspace(root)).list_locks(), "the dead run's lock is left behind"
    rerun = run(root)
    assert rerun.ok, rerun.results
    assert_table_matches(root, source, commits_expected(point, run_type))
    assert_state_is_settled(root, source)
