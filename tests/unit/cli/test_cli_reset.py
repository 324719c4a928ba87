"""`hygge reset`: forget watermarks and interrupted runs, safely and only when asked."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta

import pytest

from hygge.cli import reset
from hygge.state.base import LockInfo
from hygge.state.local import LocalStateBackend


@pytest.fixture
def state(project):
    return LocalStateBackend(project / ".hygge")


@pytest.fixture
def ran(project, invoke):
    """The sample project after one successful `hygge go`."""
    assert invoke("go").exit_code == 0


@pytest.fixture
def terminal(monkeypatch):
    """stdin is a terminal, so reset asks before it forgets anything."""
    monkeypatch.setattr(reset, "stdin_is_terminal", lambda: True)


def _hold_lock(state, flow, entity, *, host, heartbeat_age):
    """A lock file as another run would leave it."""
    at = datetime.now(UTC) - heartbeat_age
    info = LockInfo(owner="run1", host=host, pid=os.getpid(), acquired_at=at, heartbeat_at=at)
    path = state.lock_path(flow, entity)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(info.model_dump_json())


def test_reset_with_yes_forgets_the_watermark_so_the_next_run_reads_every_file(
    project, invoke, state, ran, wide
):
    assert state.get_watermark("sample", "orders") is not None

    result = invoke("reset", "--flow", "sample", "--entity", "orders", "--yes")

    assert result.exit_code == 0, result.output
    assert state.get_watermark("sample", "orders") is None
    assert state.get_watermark("sample", "customers") is not None  # not selected
    assert "forgot watermark updated_at = 2024-01-02 09:20:18, the record of 2 loaded files" in (
        result.stdout
    )
    assert result.stdout.splitlines()[-1] == "Done. 1 entity reset."
    preview = invoke("go", "--dry-run", "-e", "sample.orders")
    assert "2 new files; updated_at: from the start" in preview.stdout


def test_reset_of_a_whole_flow_forgets_every_entity_and_keeps_the_journal(
    project, invoke, state, ran
):
    result = invoke("reset", "-f", "sample", "-y")

    assert result.exit_code == 0, result.output
    assert state.list_watermarks() == {}
    assert len(state.read_journal()) == 3
    assert state.list_locks() == {}  # reset released the locks it held while working


def test_reset_discards_an_interrupted_run_with_its_staged_files(project, invoke, state, interrupt):
    stopped = interrupt("sample.customers", rows=100)
    staging = project / "data/lake/_hygge_staging/customers"
    assert any(staging.rglob("*.parquet~*"))  # staged names carry the attempt

    result = invoke("reset", "-f", "sample", "-e", "customers", "--yes")

    assert result.exit_code == 0, result.output
    forgot = f"forgot interrupted run {stopped.entity_run_id[:8]} ({stopped.rows:,} rows staged)"
    assert forgot in result.stdout
    assert state.list_checkpoints() == {}
    assert not any(staging.rglob("*.parquet*"))
    after = invoke("go", "-e", "sample.customers")
    assert "resume" not in after.stdout


def test_reset_lists_what_it_will_forget_and_asks_first(project, invoke, state, ran, terminal):
    result = invoke("reset", "-f", "sample", "-e", "orders", input="y\n")

    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if "sample.orders" in line)
    assert "updated_at = 2024-01-02 09:20:18" in row
    assert "│ 2 " in row  # loaded files
    assert "Forget this? [y/N]" in result.stdout
    assert state.get_watermark("sample", "orders") is None


def test_declining_the_prompt_forgets_nothing_and_exits_1(project, invoke, state, ran, terminal):
    before = state.get_watermark("sample", "orders")

    result = invoke("reset", "-f", "sample", "-e", "orders", input="n\n")

    assert result.exit_code == 1
    assert "Nothing was reset." in result.stdout
    assert state.get_watermark("sample", "orders") == before
    assert state.list_locks() == {}


def test_without_a_terminal_or_yes_reset_refuses_and_says_to_pass_yes(project, invoke, state, ran):
    result = invoke("reset", "-f", "sample")

    assert result.exit_code == 1
    assert "pass --yes" in result.stderr
    assert "sample.orders" in result.stderr
    assert len(state.list_watermarks()) == 3


def test_incremental_entities_are_told_their_next_run_replaces_the_store(project, invoke, ran):
    result = invoke("reset", "-f", "sample", "--yes")

    assert "sample.orders: incremental, so that run is a full_drop" in result.stdout
    assert "--keep-data appends instead" in result.stdout


def test_reset_records_that_the_next_run_is_a_full_drop(project, invoke, ran):
    invoke("reset", "-f", "sample", "-e", "orders", "--yes")

    mark = (project / ".hygge" / "resets" / "sample" / "orders.json").read_text()

    assert '"full_drop_next":true' in mark


def test_reset_with_keep_data_records_that_the_next_run_appends(project, invoke, ran):
    for published in (project / "data" / "lake" / "orders").glob("*.parquet"):
        published.unlink()  # the user empties the store, as --keep-data asks (markers stay)
    result = invoke("reset", "-f", "sample", "-e", "orders", "--yes", "--keep-data")

    mark = (project / ".hygge" / "resets" / "sample" / "orders.json").read_text()
    assert '"full_drop_next":false' in mark
    assert "--keep-data: that run appends everything" in result.stdout


def test_reset_refuses_while_a_live_run_holds_the_lock_and_names_the_holder(
    project, invoke, state, ran
):
    _hold_lock(
        state, "sample", "orders", host=socket.gethostname(), heartbeat_age=timedelta(seconds=3)
    )

    result = invoke("reset", "-f", "sample", "--yes")

    assert result.exit_code == 1
    assert "cannot reset sample.orders" in result.stderr
    assert "run run1" in result.stderr
    assert len(state.list_watermarks()) == 3  # nothing was forgotten, not even other entities
    assert list(state.list_locks()) == ["sample.orders"]  # the holder keeps its lock


def test_reset_takes_over_the_stale_lock_of_a_run_that_is_gone(project, invoke, state, ran):
    _hold_lock(state, "sample", "orders", host="elsewhere", heartbeat_age=timedelta(hours=2))

    result = invoke("reset", "-f", "sample", "-e", "orders", "--yes")

    assert result.exit_code == 0, result.output
    assert state.get_watermark("sample", "orders") is None
    assert state.list_locks() == {}


def test_reset_refuses_a_run_interrupted_while_publishing(project, invoke, state, interrupt):
    interrupt("sample.customers", rows=100, phase="publishing")

    result = invoke("reset", "-f", "sample", "--yes")

    assert result.exit_code == 1
    assert "interrupted while publishing" in result.stderr
    assert "hygge go --resume -e sample.customers" in result.stderr
    assert list(state.list_checkpoints()) == ["sample.customers"]


def test_reset_removes_an_unreadable_checkpoint(project, invoke, state):
    path = state.layout.path("checkpoints", "sample", "customers")
    path.parent.mkdir(parents=True)
    path.write_text("{not json")

    result = invoke("reset", "-f", "sample", "-e", "customers", "--yes")

    assert result.exit_code == 0, result.output
    assert "forgot an unreadable checkpoint" in result.stdout
    assert not path.exists()
    assert invoke("go", "-e", "sample.customers").exit_code == 0


def test_reset_with_nothing_stored_says_so_and_exits_0(project, invoke, snapshot):
    before = snapshot(project)

    result = invoke("reset", "-f", "sample", "-e", "orders")

    assert result.exit_code == 0, result.output
    assert "Nothing to reset: sample.orders has no watermark and no interrupted run." in (
        result.stdout
    )
    assert snapshot(project) == before


def test_reset_logs_what_it_forgot(project, invoke, ran):
    result = invoke("reset", "-f", "sample", "-e", "orders", "--yes", "-v")

    assert "hygge reset sample.orders: forgot watermark updated_at" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["-f", "sampel"], "unknown flow 'sampel' (did you mean 'sample'?)", id="flow"),
        pytest.param(
            ["-f", "sample", "-e", "order"],
            "unknown entity 'order' in flow sample (did you mean 'orders'?)",
            id="entity",
        ),
        pytest.param(
            ["-f", "sample", "-e", "crm.users"],
            "--entity crm.users is not in the flows given with --flow (sample)",
            id="entity-of-another-flow",
        ),
    ],
)
def test_unknown_names_are_configuration_errors_with_a_suggestion(project, invoke, args, message):
    result = invoke("reset", *args, "--yes")

    assert result.exit_code == 2
    assert message in result.stderr


def test_reset_requires_a_flow(project, invoke):
    result = invoke("reset", "--yes")

    assert result.exit_code == 2
    assert "--flow" in result.output
