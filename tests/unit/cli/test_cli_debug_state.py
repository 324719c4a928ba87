"""`hygge debug` on damaged and left-over state: each problem named with its path and a fix."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hygge.state.base import LockInfo
from hygge.state.local import LocalStateBackend


def _write_lock(project: Path, entity: str, *, pid: int, host: str, age: timedelta) -> None:
    state = LocalStateBackend(project / ".hygge")
    at = datetime.now(UTC) - age
    lock = LockInfo(owner="run1", host=host, pid=pid, acquired_at=at, heartbeat_at=at)
    path = state.lock_path("sample", entity)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(lock.model_dump_json())


def _dead_pid() -> int:
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(child.stdout)


def test_debug_reports_a_watermark_file_that_is_not_json_with_its_path_and_exits_1(
    project, invoke, wide
):
    path = project / ".hygge" / "watermarks" / "sample" / "orders.json"
    path.parent.mkdir(parents=True)
    path.write_text("{not json")

    result = invoke("debug")

    assert result.exit_code == 1, result.output
    assert f"✗ watermark of sample.orders is corrupt: {path} (" in result.stdout
    assert "`hygge reset -f sample -e orders` removes it" in result.stdout
    assert "1 problem found." in result.stdout


def test_debug_reports_a_watermark_with_wrong_fields(project, invoke, wide):
    path = project / ".hygge" / "watermarks" / "sample" / "orders.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"column": "updated_at", "files": "not a list"}))

    result = invoke("debug")

    assert result.exit_code == 1, result.output
    assert f"watermark of sample.orders is corrupt: {path}" in result.stdout


def test_debug_lists_a_corrupt_checkpoint_and_still_checks_the_rest(project, invoke, wide):
    state = LocalStateBackend(project / ".hygge")
    state.save_checkpoint("sample", "customers", {"rows": "many"})
    _write_lock(project, "orders", pid=os.getpid(), host="elsewhere", age=timedelta(0))

    result = invoke("debug")

    assert result.exit_code == 1, result.output
    path = project / ".hygge" / "checkpoints" / "sample" / "customers.json"
    assert f"✗ checkpoint of sample.customers is corrupt: {path} (" in result.stdout
    assert "`hygge reset -f sample -e customers` removes it" in result.stdout
    assert "sample.orders is locked" in result.stdout  # the checks after it still ran
    assert result.stderr == ""


def test_debug_reports_a_checkpoint_that_is_not_json(project, invoke, wide):
    path = project / ".hygge" / "checkpoints" / "sample" / "customers.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x00\x01garbage")

    result = invoke("debug")

    assert result.exit_code == 1, result.output
    assert f"checkpoint of sample.customers is corrupt: {path}" in result.stdout


def test_debug_reports_a_lock_whose_process_is_gone_as_stale(project, invoke, wide):
    _write_lock(project, "orders", pid=_dead_pid(), host=os.uname().nodename, age=timedelta(0))

    result = invoke("debug")

    assert result.exit_code == 0, result.output
    assert "sample.orders is locked: run run1" in result.stdout
    assert "no longer exists on this host): taken over by the next run" in result.stdout


def test_debug_reports_a_lock_of_a_live_process_as_live(project, invoke, wide):
    _write_lock(project, "orders", pid=os.getpid(), host=os.uname().nodename, age=timedelta(0))

    result = invoke("debug")

    assert result.exit_code == 0, result.output
    assert "live: a run is moving it now" in result.stdout
    assert "stale" not in result.stdout


def test_debug_reports_a_corrupt_lock_file_as_a_problem(project, invoke, wide):
    path = project / ".hygge" / "locks" / "sample" / "orders.lock"
    path.parent.mkdir(parents=True)
    path.write_text("[]")

    result = invoke("debug")

    assert result.exit_code == 1, result.output
    assert f"lock of sample.orders is corrupt: {path}" in result.stdout
    said = " ".join(result.stdout.split())
    assert (
        "If no run of sample.orders is active, remove it with "
        "`hygge unlock --flow sample --entity orders --force`"
    ) in said
    assert "delete" not in said


def test_debug_reports_staging_no_checkpoint_owns_and_says_reset_removes_it(
    project, invoke, interrupt, wide
):
    interrupt("sample.customers", rows=100)
    (project / ".hygge" / "checkpoints" / "sample" / "customers.json").unlink()
    [orphan] = (project / "data" / "lake" / "_hygge_staging" / "customers").iterdir()

    result = invoke("debug")

    assert result.exit_code == 0, result.output
    assert f"sample.customers: staging folder {orphan} (1 file) belongs to no checkpoint" in (
        result.stdout
    )
    assert "`hygge reset -f sample -e customers` removes it" in result.stdout


def test_debug_does_not_call_the_staging_of_an_interrupted_run_orphaned(
    project, invoke, interrupt, wide
):
    stopped = interrupt("sample.customers", rows=100)

    result = invoke("debug")

    assert result.exit_code == 0, result.output
    assert "belongs to no checkpoint" not in result.stdout
    assert (
        f"sample.customers has an unfinished run ({stopped.rows:,} rows staged, run "
        f"{stopped.entity_run_id[:8]}) that the next `hygge go` will resume"
    ) in result.stdout


def test_reset_removes_staging_no_checkpoint_owns(project, invoke, interrupt):
    interrupt("sample.customers", rows=100)
    (project / ".hygge" / "checkpoints" / "sample" / "customers.json").unlink()
    staging = project / "data" / "lake" / "_hygge_staging" / "customers"

    result = invoke("reset", "-f", "sample", "-e", "customers", "--yes")

    assert result.exit_code == 0, result.output
    assert not staging.exists()
    assert "belongs to no checkpoint" not in invoke("debug").stdout


def test_reset_leaves_a_folder_in_staging_that_hygge_did_not_make(project, invoke, interrupt):
    interrupt("sample.customers", rows=100)
    (project / ".hygge" / "checkpoints" / "sample" / "customers.json").unlink()
    staging = project / "data" / "lake" / "_hygge_staging" / "customers"
    theirs = staging / "somerun"
    theirs.mkdir()
    (theirs / "keep.txt").write_text("someone else's")

    result = invoke("reset", "-f", "sample", "-e", "customers", "--yes")

    assert result.exit_code == 0, result.output
    assert (theirs / "keep.txt").read_text() == "someone else's"
    assert [p.name for p in staging.iterdir()] == ["somerun"]
