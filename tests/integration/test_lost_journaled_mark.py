"""A commit saves no checkpoint after its journal row: a crash between that row and the
checkpoint's removal leaves the `publishing` checkpoint, although the run had published,
watermarked and journaled.

Whoever finds it — the next run, or the same commit delivered again (a Durable retry) — must
see the run's journal row and treat the run as finished: finishing its publish again would
journal a second success (and an `Interrupted` row) for one publish, so a sum over the journal
would count its rows twice. A `journaled` checkpoint an older hygge saved there is cleared
the same way (state written before the upgrade).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hygge.config import load_workspace
from hygge.engine import Selection, commit, plan_run, saved_checkpoint
from hygge.engine.context import RunContext
from hygge.faults import CRASH_EXIT_CODE
from hygge.state.clock import utc_now
from tests.integration.test_fault_matrix import (
    WATERMARKED,
    assert_state_is_settled,
    assert_store_matches,
    prepare,
)
from tests.support.workspace import crash, run, state_of


def _checkpoint_path(root: Path) -> Path:
    return root / ".hygge" / "checkpoints" / "shop" / "orders.json"


def _rows_of(root: Path, run_id: str) -> list[tuple[str, str | None]]:
    rows = state_of(load_workspace(root)).read_journal()
    return [(row.status, row.error_type) for row in rows if row.entity_run_id == run_id]


def _crash_after_journal(root: Path) -> str:
    """Kill a run right after its journal row; the run id its `publishing` checkpoint names."""
    assert crash(root, "after_journal") == CRASH_EXIT_CODE
    saved = json.loads(_checkpoint_path(root).read_text())
    assert saved["phase"] == "publishing"
    return str(saved["entity_run_id"])


@pytest.mark.parametrize("run_type", ["full_drop", "incremental"])
def test_a_run_killed_after_its_journal_row_leaves_one_journal_row_and_doubles_nothing(
    tmp_path: Path, run_type: str
) -> None:
    root = tmp_path / "ws"
    source = prepare(root, "parquet", run_type, WATERMARKED)
    run_id = _crash_after_journal(root)

    rerun = run(root)

    assert rerun.ok, rerun.results
    assert_store_matches(root, "parquet", source)
    assert_state_is_settled(root, source, WATERMARKED)
    assert _rows_of(root, run_id) == [("success", None)]


def test_a_commit_delivered_again_after_its_journal_row_only_cleans_up(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    source = prepare(root, "parquet", "incremental", WATERMARKED)
    run_id = _crash_after_journal(root)
    workspace = load_workspace(root)
    state = state_of(workspace)
    [task] = plan_run(workspace, Selection()).tasks
    stored = saved_checkpoint(task, state)
    assert stored is not None

    result = commit(task, stored, state, context=RunContext(clock=utc_now, host="retry"))

    assert result.status.value == "success"
    assert _rows_of(root, run_id) == [("success", None)]
    assert_store_matches(root, "parquet", source)
    assert_state_is_settled(root, source, WATERMARKED)


def test_a_journaled_checkpoint_of_an_older_hygge_is_cleared_by_the_next_run(
    tmp_path: Path,
) -> None:
    root = tmp_path / "ws"
    source = prepare(root, "parquet", "incremental", WATERMARKED)
    run_id = _crash_after_journal(root)
    path = _checkpoint_path(root)
    older = json.loads(path.read_text())
    older.update(phase="journaled", generation=older["generation"] + 1)
    path.write_text(json.dumps(older))  # what an older hygge left after its journal row

    rerun = run(root)

    assert rerun.ok, rerun.results
    assert_store_matches(root, "parquet", source)
    assert_state_is_settled(root, source, WATERMARKED)
    assert _rows_of(root, run_id) == [("success", None)]
