"""The fault matrix through a driver that runs every step in its own process (as activities):
a crash at any step boundary, then a new attempt, leaves the store equal to the source."""

from __future__ import annotations

from pathlib import Path

import pytest

from hygge.config import load_workspace
from hygge.engine import Selection, plan_run
from hygge.faults import FAULT_POINTS
from hygge.types import RunStatus
from tests.integration.test_fault_matrix import assert_store_matches, prepare
from tests.support.step_process import run_in_step_processes


@pytest.mark.parametrize("run_type", ["full_drop", "incremental"])
@pytest.mark.parametrize("point", FAULT_POINTS)
def test_a_crash_in_any_step_process_then_a_new_attempt_leaves_the_store_equal_to_the_source(
    tmp_path: Path, point: str, run_type: str
) -> None:
    root = tmp_path / "ws"
    source = prepare(root, "parquet", run_type)
    [task] = plan_run(load_workspace(root), Selection()).tasks

    crashed = run_in_step_processes(task, root, fault=point)
    finished = run_in_step_processes(task, root)

    assert crashed is None
    assert finished is not None and finished.status in {RunStatus.SUCCESS, RunStatus.SKIP}
    assert_store_matches(root, "parquet", source)
