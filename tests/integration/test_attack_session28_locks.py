"""Session 28: locks that record their boot (session 27), attacked. A state folder shared by
two machines of one name (a cloned VM, containers with a fixed hostname on NFS): the other
machine's live lock names this host and another boot, and was taken over at once as 'host
restarted', so two machines moved one entity together. Now only a lock whose heartbeat is older
than this boot is an earlier boot's; a later one waits for its heartbeat's silence, and the
refusal says it is another machine's. And a lock or checkpoint that is a FIFO hung `hygge go`
forever (its read blocked); it is refused naming it and what to do."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from hygge.state import lock_rules
from hygge.state.base import LockInfo
from hygge.state.lock_rules import boot_began, this_boot
from tests.integration import test_attack_session26_state as session26
from tests.support.cli import in_process
from tests.support.workspace import read_lake, write_workspace

FLOW = """\
home: {type: local, path: landing, format: csv}
store: {type: parquet, path: lake}
entities: [events]
"""
SOURCE = b"id,name\n1,a\n2,b\n3,c\n"
NO_PID = 4_194_000  # above Linux's default pid_max: no process of this machine has it
needs_boot = pytest.mark.skipif(
    None in (this_boot(), boot_began()), reason="this system does not tell its boot"
)


def _workspace(tmp_path: Path) -> Path:
    ws = write_workspace(tmp_path / "ws", {"feed": FLOW})
    (ws / "landing" / "events").mkdir(parents=True)
    (ws / "landing" / "events" / "a.csv").write_bytes(SOURCE)
    return ws


def _lock(ws: Path) -> Path:
    return ws / ".hygge" / "locks" / "feed" / "events.lock"


def _place_lock(ws: Path, *, boot: str | None, heartbeat: datetime) -> LockInfo:
    held = LockInfo(
        owner="run-of-the-other-machine",
        host=socket.gethostname(),
        pid=NO_PID,
        acquired_at=heartbeat,
        heartbeat_at=heartbeat,
        boot=boot,
    )
    _lock(ws).parent.mkdir(parents=True, exist_ok=True)
    _lock(ws).write_text(held.model_dump_json())
    return held


@needs_boot
def test_a_live_lock_of_another_machine_of_this_name_is_not_taken_over(tmp_path):
    ws = _workspace(tmp_path)
    held = _place_lock(ws, boot="the-other-machines-boot", heartbeat=datetime.now(UTC))

    code, said = in_process(ws, "go")

    assert code == 1, said
    assert "feed.events is being moved by run run-of-the-other-machine" in said, said
    assert f"on another machine named {socket.gethostname()} sharing this state folder" in said
    assert "its lock names boot the-other-machines-boot" in said, said
    assert LockInfo.model_validate_json(_lock(ws).read_text()) == held  # left to its holder
    assert not (ws / "lake").exists() or not list((ws / "lake").rglob("*.parquet"))

    code, said = in_process(ws, "unlock", "--flow", "feed", "--entity", "events", "--yes")
    assert code != 0, said
    assert "on another machine named" in said and "--force" in said, said
    assert _lock(ws).exists()


@needs_boot
def test_that_lock_silent_past_the_stale_timeout_is_taken_over(tmp_path, monkeypatch):
    ws = _workspace(tmp_path)
    silent = datetime.now(UTC) - timedelta(minutes=11)
    # The heartbeat must fall after this boot began (else it is this machine's earlier boot's
    # lock, another path): a machine booted minutes ago (a fresh CI runner) is given an hour.
    began = boot_began()
    assert began is not None
    monkeypatch.setattr(lock_rules, "boot_began", lambda: min(began, silent - timedelta(hours=1)))
    _place_lock(ws, boot="the-other-machines-boot", heartbeat=silent)

    code, said = in_process(ws, "go")

    assert code == 0, said
    assert read_lake(ws, "events").sort("id").equals(pl.read_csv(SOURCE))
    assert not _lock(ws).exists()


@needs_boot
def test_a_lock_of_this_machines_earlier_boot_is_taken_over_at_once(tmp_path):
    """What an unsynced release can leave after a power cut: beaten before this boot began."""
    ws = _workspace(tmp_path)
    _place_lock(ws, boot="an-earlier-boot", heartbeat=boot_began() - timedelta(seconds=5))

    code, said = in_process(ws, "go")

    assert code == 0, said
    assert read_lake(ws, "events").height == 3


def test_a_lock_without_a_boot_of_a_pid_gone_is_taken_over(tmp_path):
    """An older hygge's lock: this host's, its pid gone."""
    ws = _workspace(tmp_path)
    _place_lock(ws, boot=None, heartbeat=datetime.now(UTC))

    code, said = in_process(ws, "go")

    assert code == 0, said
    assert read_lake(ws, "events").height == 3


@pytest.mark.parametrize("state", ["locks/feed/events.lock", "checkpoints/feed/events.json"])
def test_a_fifo_in_place_of_a_state_file_is_refused_naming_it(tmp_path, state):
    ws = _workspace(tmp_path)
    path = ws / ".hygge" / state
    path.parent.mkdir(parents=True)
    os.mkfifo(path)

    code, said = in_process(ws, "go")  # hung forever: its read waited for a writer

    assert code == 1, said
    assert f"state file {path} is a FIFO (named pipe), not a file hygge wrote" in said, said
    assert f"If no hygge run is active, remove it (`rm {path}`)" in said, said
    assert not (ws / "lake").exists() or not list((ws / "lake").rglob("*.parquet"))

    path.unlink()
    code, said = in_process(ws, "go")
    assert code == 0, said
    assert read_lake(ws, "events").height == 3


@pytest.mark.parametrize("which", ["lock", "checkpoint"])
def test_a_killed_runs_state_file_made_a_fifo_is_refused_and_its_removal_lands_once(
    tmp_path, which
):
    ws = session26._killed(tmp_path)
    path = session26._lock(ws) if which == "lock" else session26._checkpoint(ws)
    path.unlink()
    os.mkfifo(path)

    code, said = in_process(ws, "go")

    assert code == 1, said
    assert f"state file {path} is a FIFO (named pipe)" in said, said
    path.unlink()  # as the refusal says
    for args in (("go", "--resume"), ("go",)):
        code, said = in_process(ws, *args)
        assert code == 0, said
    session26._assert_holds_the_source_once(ws)
