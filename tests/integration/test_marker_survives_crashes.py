"""A crash in the very first run of an entity never leaves its store folder looking foreign.

The marker goes into staging (full_drop) or into the folder before the first file
(incremental), so at every fault point the folder is missing, empty, or marked as this
entity's: the next run may publish there, and does.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hygge.config import load_workspace
from hygge.engine.plan import Selection, plan_run
from hygge.faults import CRASH_EXIT_CODE, FAULT_POINTS
from tests.support.data import content_hash, orders
from tests.support.workspace import land, read_lake, run, write_workspace

REPO = Path(__file__).resolve().parents[2]
FLOW = """\
home: {type: parquet, path: landing, batch_size: 4}
store: {type: local, path: lake, batch_size: 5}
run_type: %s
entities: [orders]
"""


def crash_first_run(root: Path, point: str) -> int:
    code = "from pathlib import Path; from tests.support.workspace import run; run(Path(%r))"
    env = {**os.environ, "HYGGE_FAULT": f"{point}:exit"}
    done = subprocess.run(
        [sys.executable, "-c", code % str(root)], cwd=REPO, env=env, check=False, timeout=120
    )
    return done.returncode


@pytest.mark.parametrize("run_type", ["full_drop", "incremental"])
@pytest.mark.parametrize("point", FAULT_POINTS)
def test_a_first_run_killed_at_any_step_leaves_a_folder_the_entity_still_owns(
    tmp_path: Path, point: str, run_type: str
) -> None:
    root = write_workspace(tmp_path / "ws", {"shop": FLOW % run_type})
    land(root, "orders", "a", orders(12))

    assert crash_first_run(root, point) == CRASH_EXIT_CODE

    workspace = load_workspace(root)
    task = plan_run(workspace, Selection()).tasks[0]
    assert task.store.open(task.place).ownership_problem() is None
    rerun = run(root)
    assert rerun.ok, rerun.results
    lake = read_lake(root, "orders")
    assert content_hash(lake) == content_hash(orders(12))
