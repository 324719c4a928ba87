"""`hygge reset --orphaned`: forget hygge's records of an entity removed from the workspace —
checked, under its lock, and never touching a store (found by a hostile-user attack: `hygge
debug` said "delete the file" and no command could clean such state up)."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime

import pytest

from hygge.cli import reset
from hygge.state.base import LockInfo
from hygge.state.local import LocalStateBackend


@pytest.fixture
def state(project):
    return LocalStateBackend(project / ".hygge")


@pytest.fixture
def removed(project, invoke, state, interrupt):
    """sample.orders loaded, then interrupted mid-run, then removed from the workspace."""
    assert invoke("go", "-e", "sample.orders").exit_code == 0
    checkpoint = interrupt("sample.orders", rows=500)
    (project / "flows" / "sample" / "entities" / "orders.yml").unlink()
    return checkpoint


def _said(text: str) -> str:
    return " ".join(text.split())


def test_debug_names_the_command_for_damaged_state_of_a_removed_entity(
    project, invoke, state, removed
):
    state.layout.path("watermarks", "sample", "orders").write_text("{bad")

    result = invoke("debug")

    said = _said(result.stdout)
    assert "watermark of sample.orders is corrupt" in said
    assert "`hygge reset --orphaned -f sample -e orders` forgets its state" in said
    assert "delete the file" not in said


def test_reset_orphaned_forgets_the_records_and_leaves_store_and_journal(
    project, invoke, state, removed
):
    lake = project / "data" / "lake"
    store_files = sorted(p for p in lake.rglob("*") if p.is_file())
    journal = state.read_journal(entities=["sample.orders"])
    assert store_files and journal

    result = invoke("reset", "-f", "sample", "-e", "orders", "--orphaned", "--yes")

    assert result.exit_code == 0, result.output
    assert state.get_watermark("sample", "orders") is None
    assert state.load_checkpoint("sample", "orders") is None
    assert state.get_lock("sample", "orders") is None
    assert sorted(p for p in lake.rglob("*") if p.is_file()) == store_files
    assert state.read_journal(entities=["sample.orders"]) == journal
    said = _said(result.stdout)
    assert "forgot its watermark, its interrupted run's checkpoint" in said
    assert f"staged in {removed.staging.location} were left in place" in said


def test_reset_of_a_removed_entity_without_orphaned_points_at_it(project, invoke, state, removed):
    result = invoke("reset", "-f", "sample", "-e", "orders", "--yes")

    assert result.exit_code == 2
    assert "`hygge reset --orphaned -f sample -e sample.orders`" in _said(result.stderr)
    assert state.get_watermark("sample", "orders") is not None


def test_reset_orphaned_refuses_an_entity_still_in_the_workspace(project, invoke, state):
    assert invoke("go", "-e", "sample.customers").exit_code == 0

    result = invoke("reset", "-f", "sample", "-e", "customers", "--orphaned", "--yes")

    assert result.exit_code == 2
    assert "sample.customers is in the workspace" in _said(result.stderr)
    assert state.get_watermark("sample", "customers") is not None


@pytest.mark.parametrize(
    ("flow", "entity", "said"),
    [
        pytest.param("old", "gone", "unknown flow 'old'", id="no-state"),
        pytest.param("sample", "a/b", "--entity 'a/b' is not a valid entity name", id="path"),
    ],
)
def test_reset_orphaned_of_a_name_hygge_keeps_nothing_for_is_a_configuration_error(
    project, invoke, flow, entity, said
):
    result = invoke("reset", "-f", flow, "-e", entity, "--orphaned", "--yes")

    assert result.exit_code == 2
    assert said in _said(result.stderr)
    assert "the workspace has: sample.customers" in _said(result.stderr)


def test_reset_orphaned_refuses_while_a_live_run_holds_the_lock(project, invoke, state, removed):
    at = datetime.now(UTC)
    live = LockInfo(
        owner="run9", host=socket.gethostname(), pid=os.getpid(), acquired_at=at, heartbeat_at=at
    )
    state.lock_path("sample", "orders").write_text(live.model_dump_json())

    result = invoke("reset", "-f", "sample", "-e", "orders", "--orphaned", "--yes")

    assert result.exit_code == 1
    assert "cannot reset sample.orders" in _said(result.stderr)
    assert state.get_watermark("sample", "orders") is not None


def test_reset_orphaned_asks_first_and_declining_forgets_nothing(
    project, invoke, state, removed, monkeypatch
):
    monkeypatch.setattr(reset, "stdin_is_terminal", lambda: True)

    result = invoke("reset", "-f", "sample", "-e", "orders", "--orphaned", input="n\n")

    assert result.exit_code == 1
    assert "Nothing was reset." in result.stdout
    assert state.get_watermark("sample", "orders") is not None


def test_reset_orphaned_without_a_terminal_or_yes_refuses(project, invoke, state, removed):
    result = invoke("reset", "-f", "sample", "-e", "orders", "--orphaned")

    assert result.exit_code == 1
    assert "pass --yes" in _said(result.stderr)
    assert state.get_watermark("sample", "orders") is not None


def test_reset_orphaned_removes_the_tombstone_of_an_earlier_reset(project, invoke, state):
    assert invoke("go", "-e", "sample.orders").exit_code == 0
    assert invoke("reset", "-f", "sample", "-e", "orders", "--yes").exit_code == 0
    assert invoke("go", "-e", "sample.orders").exit_code == 0
    tombstone = state.layout.path("resets", "sample", "orders")
    assert tombstone.is_file()
    (project / "flows" / "sample" / "entities" / "orders.yml").unlink()

    result = invoke("reset", "-f", "sample", "-e", "orders", "--orphaned", "--yes")

    assert result.exit_code == 0, result.output
    assert "the record of its last reset" in result.stdout
    assert not tombstone.exists()
    assert state.get_reset("sample", "orders") is None


def test_reset_orphaned_cleans_up_a_tombstone_that_is_all_hygge_kept(project, state):
    """Left behind by an older hygge's `--orphaned`: the only state of the removed entity."""
    from typer.testing import CliRunner

    from hygge.cli.app import app
    from hygge.state.base import ResetMark

    state.set_reset("gone", "items", ResetMark(reset_at=datetime.now(UTC)))

    result = CliRunner().invoke(app, ["reset", "-f", "gone", "-e", "items", "--orphaned", "--yes"])

    assert result.exit_code == 0, result.output
    assert not state.layout.path("resets", "gone", "items").exists()


def test_reset_orphaned_clears_the_tombstone_in_memory_state_too():
    from hygge.state.base import ResetMark
    from hygge.state.memory import MemoryStateBackend

    memory = MemoryStateBackend()
    memory.set_reset("f", "e", ResetMark(reset_at=datetime.now(UTC)))

    assert memory.clear_reset("f", "e") is True
    assert memory.get_reset("f", "e") is None
    assert memory.clear_reset("f", "e") is False


def test_reset_orphaned_with_keep_data_is_a_usage_error(project, invoke, state, removed):
    result = invoke("reset", "-f", "sample", "-e", "orders", "--orphaned", "--keep-data", "--yes")

    assert result.exit_code == 2
    assert "--orphaned entities have no next run" in _said(result.stderr)
    assert state.load_checkpoint("sample", "orders") is not None  # nothing was forgotten
