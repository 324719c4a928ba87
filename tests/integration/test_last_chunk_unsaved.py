"""The local driver does not save the checkpoint of the chunk that finishes a run: the commit
that follows saves it (synced, as `publishing`) before anything is published.

A crash between that chunk and the commit's checkpoint is then a crash before the chunk's
checkpoint: the saved one is the begin's (or the previous chunk's), the staged files it does
not list are discarded, and the next run stages those rows again. Nothing is lost or doubled.
Every chunk before the last is saved as always, and a driver that does not commit straight
after (the Durable one) saves the last chunk too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hygge.config import load_workspace
from hygge.engine import Selection, begin, commit, move_chunk, plan_run, saved_checkpoint
from hygge.engine.context import RunContext
from hygge.faults import CRASH_EXIT_CODE
from hygge.state.clock import utc_now
from tests.integration.test_fault_matrix import (
    FLOW,
    assert_state_is_settled,
    assert_store_matches,
    prepare,
)
from tests.support.workspace import REPO, crash, run, state_of

CONTEXT = RunContext(clock=utc_now, host="test")
EIGHT_ROWS = (  # `run` with chunks of 8 rows, as `options: {checkpoint_rows: 8}` gives `go`
    "from pathlib import Path; from hygge.config import load_workspace; "
    "from hygge.engine import ChunkBudget, Selection, plan_run, run_plan; "
    "from tests.support.workspace import state_of; w = load_workspace(Path(%r)); "
    "run_plan(plan_run(w, Selection()), state_of(w), concurrency=1, "
    "budget=ChunkBudget(max_rows=8))"
)


def _saved(root: Path) -> dict[str, object]:
    path = root / ".hygge" / "checkpoints" / "shop" / "orders.json"
    return dict(json.loads(path.read_text()))


def _staged_files(root: Path) -> list[str]:
    """The data files under the store's staging folders (`lake/_hygge_staging/orders/<run>`)."""
    return sorted(p.name for p in root.glob("lake/_hygge_staging/**/*.parquet*"))


@pytest.mark.parametrize("run_type", ["full_drop", "incremental"])
def test_a_crash_after_the_last_chunk_leaves_the_begin_checkpoint_and_the_rerun_is_exact(
    tmp_path: Path, run_type: str
) -> None:
    root = tmp_path / "ws"
    source = prepare(root, "parquet", run_type)

    assert crash(root, "after_checkpoint") == CRASH_EXIT_CODE

    saved = _saved(root)
    assert (saved["phase"], saved["chunks"], saved["rows"], saved["done"]) == (
        "moving",
        0,
        0,
        False,
    )
    assert _staged_files(root), "the chunk staged its file before the crash"
    rerun = run(root)
    assert rerun.ok, rerun.results
    assert_store_matches(root, "parquet", source)
    assert_state_is_settled(root, source, FLOW)
    assert _staged_files(root) == []


def test_chunks_before_the_last_are_saved_and_a_crash_there_resumes_from_them(
    tmp_path: Path,
) -> None:
    root = tmp_path / "ws"
    source = prepare(root, "parquet", "full_drop")
    env = {**os.environ, "HYGGE_FAULT": "after_checkpoint:exit"}  # the first of three chunks
    code = EIGHT_ROWS % str(root)
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, check=False)
    assert done.returncode == CRASH_EXIT_CODE

    saved = _saved(root)
    assert saved["chunks"] == 1 and saved["done"] is False
    assert 0 < int(str(saved["rows"])) < len(source)
    rerun = run(root)
    assert rerun.ok, rerun.results
    assert rerun.results[0].resumed == 1
    assert_store_matches(root, "parquet", source)
    assert_state_is_settled(root, source, FLOW)


def test_a_driver_that_does_not_commit_next_saves_the_last_chunk(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    source = prepare(root, "parquet", "full_drop")
    workspace = load_workspace(root)
    state = state_of(workspace)
    [task] = plan_run(workspace, Selection()).tasks

    begun = begin(task, state, context=CONTEXT)
    moved = move_chunk(task, begun, state, context=CONTEXT)

    stored = saved_checkpoint(task, state)
    assert stored is not None and stored.done
    assert stored.generation == moved.generation == begun.generation + 1
    assert commit(task, stored, state, context=CONTEXT).status.value == "success"
    assert_store_matches(root, "parquet", source)


def test_commit_next_leaves_the_last_chunk_to_the_commit(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    source = prepare(root, "parquet", "full_drop")
    workspace = load_workspace(root)
    state = state_of(workspace)
    [task] = plan_run(workspace, Selection()).tasks

    begun = begin(task, state, context=CONTEXT)
    moved = move_chunk(task, begun, state, context=CONTEXT, commit_next=True)

    stored = saved_checkpoint(task, state)
    assert moved.done and moved.rows == len(source)
    assert stored is not None and stored.generation == begun.generation and not stored.done
    result = commit(task, moved, state, context=CONTEXT)
    assert result.status.value == "success" and result.rows == len(source)
    assert_store_matches(root, "parquet", source)
    assert_state_is_settled(root, source, FLOW)
