"""Session 27: the state folder's lock files as symbolic links (session 26 named a dangling
lock link and let `hygge unlock --force` remove it). A link to a user's file, and a link in
place of a lock's `.mutex`: whatever hygge does, it never writes, creates or removes anything
outside its own state folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import in_process
from tests.support.workspace import write_workspace

FLOW = """\
home: {type: local, path: landing, format: csv}
store: {type: parquet, path: lake}
run_type: incremental
entities: [events]
"""


def _hygge(ws: Path, *args: str) -> tuple[int, str]:
    return in_process(ws, *args)


def _workspace(tmp_path: Path) -> Path:
    ws = write_workspace(tmp_path / "ws", {"feed": FLOW})
    (ws / "landing" / "events").mkdir(parents=True)
    (ws / "landing" / "events" / "a.csv").write_text("id,name\n1,a\n2,b\n")
    assert _hygge(ws, "go")[0] == 0
    return ws


def test_unlock_force_of_a_lock_linked_to_a_users_file_removes_only_the_link(tmp_path):
    ws = _workspace(tmp_path)
    precious = tmp_path / "precious.txt"
    precious.write_text("the user's own notes\n")
    lock = ws / ".hygge" / "locks" / "feed" / "events.lock"
    lock.symlink_to(precious)

    refused = _hygge(ws, "go")
    code, said = _hygge(ws, "unlock", "-f", "feed", "-e", "events", "--force", "--yes")

    assert refused[0] == 1 and "hygge unlock --flow feed --entity events --force" in refused[1]
    assert code == 0, said
    assert not lock.is_symlink() and not lock.exists()
    assert precious.read_text() == "the user's own notes\n"
    (ws / "landing" / "events" / "b.csv").write_text("id,name\n3,c\n")
    assert _hygge(ws, "go")[0] == 0  # the entity moves again
    assert precious.read_text() == "the user's own notes\n"


@pytest.mark.parametrize("which", ["locks/feed/events.lock", "checkpoints/feed/events.json"])
def test_a_dangling_link_in_place_of_a_mutex_creates_nothing_outside_the_state(tmp_path, which):
    ws = _workspace(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    mutex = ws / ".hygge" / f"{which}.mutex"
    mutex.unlink(missing_ok=True)  # a one-chunk run leaves none: its checkpoint is the commit's
    mutex.symlink_to(outside / "made-by-hygge")
    # Two chunks of one file each: the first chunk's checkpoint is replaced under its mutex.
    (ws / "hygge.yml").write_text("name: test\noptions: {checkpoint_rows: 1}\n")
    (ws / "landing" / "events" / "b.csv").write_text("id,name\n3,c\n")
    (ws / "landing" / "events" / "c.csv").write_text("id,name\n4,d\n")

    code, said = _hygge(ws, "go")

    assert list(outside.iterdir()) == []
    assert code != 0 and "is a symbolic link" in said and "Remove the link" in said
