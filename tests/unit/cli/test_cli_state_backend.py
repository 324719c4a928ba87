"""Every command reaches state through hygge.yml's backend and the StateBackend protocol only.

Here the factory hands the CLI an in-memory backend: the commands must work on it unchanged,
and nothing lands in a `.hygge` folder.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

import hygge.cli.workspace_state
from hygge.state.memory import MemoryState, MemoryStateBackend


@pytest.fixture
def memory(monkeypatch: pytest.MonkeyPatch) -> MemoryState:
    """The state every command of the test opens, whatever hygge.yml says."""
    shared = MemoryState()

    def open_state(config, root, *, clock, host, **options):  # journal_dir, workspace, …
        return MemoryStateBackend(shared, clock=clock, host=host)

    monkeypatch.setattr(hygge.cli.workspace_state, "open_state", open_state)
    return shared


def test_go_and_journal_use_the_backend_the_factory_returns(project, invoke, memory):
    moved = invoke("go")
    shown = invoke("journal", "--json")

    assert moved.exit_code == 0, moved.output
    rows = [json.loads(line) for line in shown.output.splitlines()]
    assert {row["status"] for row in rows} == {"success"}
    assert len(rows) == len(memory.journal) > 0
    assert memory.watermarks  # the incremental sample entities' watermarks
    assert not (project / ".hygge").exists()


def test_debug_reports_the_backends_state_and_locks(project, invoke, memory, wide):
    backend = MemoryStateBackend(memory, host="elsewhere", pid=4)
    backend.acquire_lock("sample", "customers", "run-a")

    result = invoke("debug")

    assert "State      memory" in result.output
    assert "✓ memory is writable" in result.output
    assert "sample.customers is locked: run run-a (pid 4 on elsewhere" in result.output
    assert not (project / ".hygge").exists()


def test_unlock_and_reset_change_the_backends_state(project, invoke, memory):
    assert invoke("go").exit_code == 0
    stale = datetime(2020, 1, 1, tzinfo=UTC)
    MemoryStateBackend(memory, host="gone-host", pid=4, clock=lambda: stale).acquire_lock(
        "sample", "orders", "run-old"
    )

    unlocked = invoke("unlock", "-f", "sample", "-e", "orders", "--yes")
    reset = invoke("reset", "-f", "sample", "--yes")

    assert unlocked.exit_code == 0, unlocked.output
    assert reset.exit_code == 0, reset.output
    assert memory.locks == {}
    assert memory.watermarks == {}
