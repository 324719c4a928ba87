"""The fault matrix with the state in blob storage (Azurite): an error or a kill -9 at every
step boundary, then a plain run, leaves the store equal to the source and the blob state
settled — the same referee as tests/integration/test_fault_matrix.py, on the azure_blob state.

The killed run's lease is still live when the rerun starts: it is taken over at once because
its holder is a dead process of this host.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import polars as pl
import pytest

from hygge.config import load_workspace
from hygge.engine.plan import Selection, plan_run
from hygge.engine.runner import RunReport, run_plan
from hygge.faults import CRASH_EXIT_CODE, FAULT_POINTS, reset_faults
from hygge.state.base import StateBackend
from hygge.state.clock import utc_now
from hygge.state.config import open_state
from hygge.types import RunStatus
from tests.integration.test_fault_matrix import RUN_TYPES, WATERMARKED, assert_store_matches
from tests.support.data import orders
from tests.support.workspace import REPO, blob_state_project, land, write_workspace

pytestmark = pytest.mark.azurite

SECRET = "HYGGE_TEST_FAULT_STATE_CS"


def blob_project(azurite, container: str) -> str:
    prefix = f"state/{uuid.uuid4().hex[:8]}"
    return blob_state_project(
        azurite.account_url,
        container,
        SECRET,
        name="test",
        state=f"type: azure_blob, connection: lake, prefix: {prefix}",
    )


def blob_state(root: Path) -> StateBackend:
    workspace = load_workspace(root)
    return open_state(
        workspace.project.state,
        workspace.root,
        clock=utc_now,
        host=socket.gethostname(),
        workspace=workspace.name,
        connections=workspace.project.connections,
    )


def run_blob(root: Path) -> RunReport:
    workspace = load_workspace(root)
    plan = plan_run(workspace, Selection())
    return run_plan(plan, blob_state(root), concurrency=2)


@pytest.fixture
def root(tmp_path, azurite, blob_container, monkeypatch) -> Path:
    """A workspace whose state is in a fresh prefix of a fresh container."""
    monkeypatch.setenv(SECRET, azurite.connection_string)
    folder = tmp_path / "ws"
    folder.mkdir()
    (folder / "hygge.yml").write_text(blob_project(azurite, blob_container))
    return folder


def _prepare(root: Path, run_type: str) -> pl.DataFrame:
    """As the matrix's `prepare` (one completed run, then files b and c landed), with the
    workspace's blob state; the full source."""
    write_workspace(
        root, {"shop": WATERMARKED % ("parquet", run_type)}, (root / "hygge.yml").read_text()
    )
    land(root, "orders", "a", orders(12))
    assert run_blob(root).ok
    land(root, "orders", "b", orders(11, start=12))
    late = orders(2, start=100).with_columns(updated_at=orders(2, start=9)["updated_at"])
    land(root, "orders", "c", pl.concat([orders(3, start=5), late]))
    if run_type == "incremental":
        return pl.concat([orders(23), late])
    return pl.concat([orders(23), orders(3, start=5), late])


def assert_settled(root: Path) -> None:
    state = blob_state(root)
    assert state.load_checkpoint("shop", "orders") is None
    assert state.list_locks() == {}
    landed = sorted(p.name for p in (root / "landing" / "orders").iterdir())
    assert sorted(state.read_file_ledger("shop", "orders", landed)) == landed
    statuses = [row.status for row in reversed(state.read_journal())]
    assert statuses[0] == "success" and statuses[-1] in {"success", "skip"}


@pytest.mark.parametrize("run_type", RUN_TYPES)
@pytest.mark.parametrize("point", FAULT_POINTS)
def test_an_error_at_any_step_on_blob_state_then_a_rerun_loses_and_doubles_nothing(
    root: Path, monkeypatch: pytest.MonkeyPatch, point: str, run_type: str
) -> None:
    source = _prepare(root, run_type)
    monkeypatch.setenv("HYGGE_FAULT", f"{point}:raise")
    reset_faults()

    failed = run_blob(root)

    expected = RunStatus.SUCCESS if point == "after_journal" else RunStatus.FAIL
    assert failed.results[0].status is expected
    monkeypatch.delenv("HYGGE_FAULT")
    assert run_blob(root).ok
    assert_store_matches(root, "parquet", source)
    assert_settled(root)


@pytest.mark.parametrize("run_type", RUN_TYPES)
@pytest.mark.parametrize("point", FAULT_POINTS)
def test_a_killed_process_on_blob_state_resumes_without_loss_or_duplicates(
    root: Path, point: str, run_type: str
) -> None:
    source = _prepare(root, run_type)
    code = (
        "from pathlib import Path; from tests.integration.test_fault_matrix_blob_state "
        f"import run_blob; run_blob(Path({str(root)!r}))"
    )
    env = {**os.environ, "HYGGE_FAULT": f"{point}:exit"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, check=False
    )
    assert done.returncode == CRASH_EXIT_CODE, done.stderr

    assert blob_state(root).list_locks(), "the dead run's lock (a live lease) is left behind"
    rerun = run_blob(root)
    assert rerun.ok, rerun.results
    assert_store_matches(root, "parquet", source)
    assert_settled(root)
