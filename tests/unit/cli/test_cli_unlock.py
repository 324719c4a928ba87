"""`hygge unlock`: remove a lock once its run is gone; never the lock of a live run."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from hygge.cli import unlock
from hygge.state.base import LockInfo
from hygge.state.local import LocalStateBackend

HERE = socket.gethostname()


@pytest.fixture
def state(project):
    return LocalStateBackend(project / ".hygge")


@pytest.fixture
def terminal(monkeypatch):
    """stdin is a terminal, so unlock asks before it removes anything."""
    monkeypatch.setattr(unlock, "stdin_is_terminal", lambda: True)


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _hold_lock(state, *, host, pid, heartbeat_age=timedelta(seconds=5), owner="run1"):
    """A lock file of sample.orders as another run would leave it."""
    at = datetime.now(UTC) - heartbeat_age
    info = LockInfo(owner=owner, host=host, pid=pid, acquired_at=at, heartbeat_at=at)
    path = state.lock_path("sample", "orders")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(info.model_dump_json())


def _said(text: str) -> str:
    return " ".join(text.split())


def test_unlock_of_an_entity_nobody_holds_says_so(project, invoke):
    result = invoke("unlock", "--flow", "sample", "--entity", "orders")

    assert result.exit_code == 0, result.output
    assert "sample.orders is not locked: nothing to unlock." in result.stdout


def test_unlock_removes_the_lock_of_a_dead_process_on_this_host(project, invoke, state):
    _hold_lock(state, host=HERE, pid=_dead_pid())

    result = invoke("unlock", "-f", "sample", "-e", "orders", "--yes")

    assert result.exit_code == 0, result.output
    assert state.get_lock("sample", "orders") is None
    said = _said(result.stdout)
    assert "sample.orders is locked by run run1" in said
    assert "no longer exists on this host" in said
    assert "Removed the lock of sample.orders." in said


@pytest.mark.parametrize("force", [False, True], ids=["plain", "force"])
def test_unlock_never_removes_the_lock_of_a_live_process_on_this_host(
    project, invoke, state, force
):
    _hold_lock(state, host=HERE, pid=os.getpid(), heartbeat_age=timedelta(hours=3))

    result = invoke("unlock", "-f", "sample", "-e", "orders", "--yes", *(["--force"] * force))

    assert result.exit_code == 1
    said = _said(result.stderr)
    assert f"run run1 (pid {os.getpid()} on host {HERE}, heartbeat 3h 0m ago)" in said
    assert "still running on this host" in said
    assert "Nothing was removed." in said
    assert state.get_lock("sample", "orders").owner == "run1"


def test_unlock_refuses_a_fresh_lock_of_another_host_and_points_at_force(project, invoke, state):
    _hold_lock(state, host="elsewhere", pid=1)

    result = invoke("unlock", "-f", "sample", "-e", "orders", "--yes")

    assert result.exit_code == 1
    said = _said(result.stderr)
    assert "run run1 (pid 1 on host elsewhere, heartbeat 5s ago)" in said
    assert "heartbeat is fresher than the stale timeout (10m 0s)" in said
    assert "run `hygge unlock --flow sample --entity orders --force`" in said
    assert state.get_lock("sample", "orders").owner == "run1"


def test_unlock_force_removes_a_fresh_lock_of_another_host(project, invoke, state):
    _hold_lock(state, host="elsewhere", pid=1)

    result = invoke("unlock", "-f", "sample", "-e", "orders", "--force", "--yes")

    assert result.exit_code == 0, result.output
    assert "--force says host elsewhere is gone" in _said(result.stdout)
    assert state.get_lock("sample", "orders") is None


def test_unlock_removes_a_lock_of_another_host_whose_heartbeat_is_stale(project, invoke, state):
    _hold_lock(state, host="elsewhere", pid=1, heartbeat_age=timedelta(hours=2))

    result = invoke("unlock", "-f", "sample", "-e", "orders", "--yes")

    assert result.exit_code == 0, result.output
    assert "no heartbeat for longer than 10m 0s" in _said(result.stdout)
    assert state.get_lock("sample", "orders") is None


def test_unreadable_lock_is_removed_only_with_force(project, invoke, state):
    path = state.lock_path("sample", "orders")
    path.parent.mkdir(parents=True)
    path.write_text('{"owner": "run1", "ho')

    refused = invoke("unlock", "-f", "sample", "-e", "orders", "--yes")
    forced = invoke("unlock", "-f", "sample", "-e", "orders", "--yes", "--force")

    assert refused.exit_code == 1
    assert "`hygge unlock --flow sample --entity orders --force`" in _said(refused.stderr)
    assert forced.exit_code == 0, forced.output
    assert not path.exists()


def test_unlock_without_a_terminal_or_yes_refuses_and_keeps_the_lock(project, invoke, state):
    _hold_lock(state, host="elsewhere", pid=1, heartbeat_age=timedelta(hours=2))

    result = invoke("unlock", "-f", "sample", "-e", "orders")

    assert result.exit_code == 1
    assert "pass --yes to remove it without asking" in _said(result.stderr)
    assert state.get_lock("sample", "orders") is not None


@pytest.mark.parametrize(("answer", "code", "kept"), [("y", 0, False), ("n", 1, True)])
def test_unlock_asks_before_it_removes(project, invoke, state, terminal, answer, code, kept):
    _hold_lock(state, host="elsewhere", pid=1, heartbeat_age=timedelta(hours=2))

    result = invoke("unlock", "-f", "sample", "-e", "orders", input=f"{answer}\n")

    assert result.exit_code == code, result.output
    assert "Remove this lock?" in result.stdout
    assert (state.get_lock("sample", "orders") is not None) is kept


def test_a_run_refused_by_a_lock_is_told_to_use_unlock_not_to_delete_files(project, invoke, state):
    _hold_lock(state, host=HERE, pid=os.getpid())

    result = invoke("go", "-e", "sample.orders")

    said = _said(result.output)
    assert "sample.orders is being moved by run run1" in said
    assert "run `hygge unlock --flow sample --entity orders`" in said
    assert "remove /" not in said and "delete" not in said


@pytest.mark.parametrize(
    ("flow", "entity", "said"),
    [
        pytest.param(
            "sampel", "orders", "unknown flow 'sampel' (did you mean 'sample'?)", id="flow"
        ),
        pytest.param(
            "sample",
            "ordrs",
            "unknown entity 'ordrs' in flow sample (did you mean 'orders'?)",
            id="entity",
        ),
    ],
)
def test_unlock_of_a_misspelled_name_is_a_configuration_error_naming_the_entities(
    project, invoke, flow, entity, said
):
    result = invoke("unlock", "-f", flow, "-e", entity, "--yes")

    assert result.exit_code == 2, result.output
    text = _said(result.stderr)
    assert said in text
    assert "the workspace has: sample.customers" in text
    assert "nothing to unlock" not in result.output


def test_unlock_of_a_path_like_name_is_refused_as_a_bad_argument(project, invoke):
    result = invoke("unlock", "-f", "sample", "-e", "a/b", "--yes")

    assert result.exit_code == 2, result.output
    text = _said(result.stderr)
    assert "--entity 'a/b' is not a valid entity name" in text
    assert "Rename the entity in the workspace" not in text


def test_unlock_removes_the_lock_of_an_entity_no_longer_in_the_workspace(project, invoke):
    state = LocalStateBackend(project / ".hygge")
    at = datetime.now(UTC)
    info = LockInfo(owner="run1", host=HERE, pid=_dead_pid(), acquired_at=at, heartbeat_at=at)
    path = state.lock_path("old", "gone")
    path.parent.mkdir(parents=True)
    path.write_text(info.model_dump_json())

    result = invoke("unlock", "-f", "old", "-e", "gone", "--yes")

    assert result.exit_code == 0, result.output
    assert state.get_lock("old", "gone") is None
