"""Staged files deleted by hand after a crash: hygge commands must still lead back to a store
holding every row once (found by a hostile pass): the resumed run (or the commit, when the
checkpoint lists staged files) sees the staged files are gone before publishing begins, so the
run is discarded, not left half-published forever."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from hygge.config import load_workspace
from hygge.engine import Selection, begin, commit, move_chunk, plan_run
from hygge.engine.context import RunContext
from hygge.errors import StateError
from hygge.state.clock import utc_now
from tests.support.cli import hygge, init_shop
from tests.support.workspace import state_of


def test_a_run_whose_staging_was_deleted_after_a_crash_can_be_reset_and_reloaded(tmp_path):
    shop = init_shop(tmp_path)
    crashed = hygge(
        shop, "go", "--entity", "sample.orders", env={"HYGGE_FAULT": "after_checkpoint:exit"}
    )
    assert crashed.returncode == 86, crashed.stdout + crashed.stderr
    shutil.rmtree(shop / "data" / "lake" / "_hygge_staging")  # "cleaning up" by hand
    lost = hygge(shop, "go", "--entity", "sample.orders")
    assert lost.returncode == 1
    said = " ".join((lost.stdout + lost.stderr).split())
    # The local driver leaves the last chunk's checkpoint to the commit: the crash left the
    # begin's, so the resumed run finds its staging folder gone and is discarded.
    assert "is missing (aborted or published already)" in said, said

    reset = hygge(shop, "reset", "--flow", "sample", "--entity", "orders", "--yes")
    assert reset.returncode == 0, reset.stdout + reset.stderr
    reloaded = hygge(shop, "go", "--full-drop", "--entity", "sample.orders")
    assert reloaded.returncode == 0, reloaded.stdout + reloaded.stderr
    lake = pl.scan_parquet(str(Path(shop / "data" / "lake" / "orders" / "**" / "*.parquet")))
    rows, distinct = lake.select(pl.len(), pl.col("order_id").n_unique()).collect().row(0)
    assert rows == distinct == 2_000


def test_a_commit_whose_staged_files_were_deleted_refuses_before_publishing(tmp_path):
    """A driver that saves every chunk (the Durable one): the commit finds them gone."""
    shop = init_shop(tmp_path)
    workspace = load_workspace(shop)
    state = state_of(workspace)
    [task] = plan_run(workspace, Selection(entities=["sample.orders"])).tasks
    context = RunContext(clock=utc_now, host="test")
    moved = move_chunk(task, begin(task, state, context=context), state, context=context)
    assert moved.done and moved.staging.artefacts
    shutil.rmtree(shop / "data" / "lake" / "_hygge_staging")  # "cleaning up" by hand

    with pytest.raises(StateError, match=r"removed by hand\? Nothing of the run was published"):
        commit(task, moved, state, context=context)
    assert not (shop / "data" / "lake" / "orders").exists()
