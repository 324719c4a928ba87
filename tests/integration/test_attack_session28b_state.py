"""Session 28b: state files that are not files, attacked through `hygge debug`. A FIFO or
socket in place of a lock, checkpoint or watermark was passed over by debug's listing (it kept
regular files only), so debug said 'All checks passed' while `hygge go` refused the same file.
Now debug names it as a problem, with what to do, and passes once it is removed."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from tests.support.cli import in_process
from tests.support.workspace import read_lake, write_workspace

FLOW = """\
home: {type: local, path: landing, format: csv}
store: {type: parquet, path: lake}
entities: [events]
"""
STATE_FILES = [
    "locks/feed/events.lock",
    "checkpoints/feed/events.json",
    "watermarks/feed/events.json",
]


def _workspace(tmp_path: Path) -> Path:
    ws = write_workspace(tmp_path / "ws", {"feed": FLOW})
    (ws / "landing" / "events").mkdir(parents=True)
    (ws / "landing" / "events" / "a.csv").write_bytes(b"id,name\n1,a\n2,b\n3,c\n")
    return ws


def _bind_socket(path: Path) -> socket.socket:
    """A listening socket at `path`; AF_UNIX names are limited to ~107 bytes, so it is bound
    from its folder by a relative name."""
    here = Path.cwd()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        os.chdir(path.parent)
        server.bind(path.name)
    finally:
        os.chdir(here)
    return server


@pytest.mark.parametrize("state", STATE_FILES)
def test_debug_names_a_fifo_in_place_of_a_state_file(tmp_path, state):
    ws = _workspace(tmp_path)
    path = ws / ".hygge" / state
    path.parent.mkdir(parents=True)
    os.mkfifo(path)

    code, said = in_process(ws, "debug")  # said 'All checks passed.' with exit 0

    assert code == 1, said
    assert "All checks passed" not in said, said
    assert f"state file {path} is a FIFO (named pipe), not a file hygge wrote" in said, said
    assert f"`rm {path}`" in said, said
    assert "1 problem found" in said, said

    path.unlink()  # as debug says
    code, said = in_process(ws, "debug")
    assert code == 0, said
    code, said = in_process(ws, "go")
    assert code == 0, said
    assert read_lake(ws, "events").height == 3


def test_debug_names_a_socket_in_place_of_a_lock(tmp_path):
    ws = _workspace(tmp_path)
    path = ws / ".hygge" / "locks" / "feed" / "events.lock"
    path.parent.mkdir(parents=True)
    server = _bind_socket(path)
    try:
        code, said = in_process(ws, "debug")
        assert code == 1, said
        assert f"state file {path} is a socket, not a file hygge wrote" in said, said
        code, said = in_process(ws, "go")
        assert code == 1, said
        assert f"state file {path} is a socket" in said, said
    finally:
        server.close()
    path.unlink()
    code, said = in_process(ws, "go")
    assert code == 0, said
    assert read_lake(ws, "events").height == 3


def test_a_fifo_lock_of_an_entity_no_longer_in_the_workspace_is_named(tmp_path):
    ws = _workspace(tmp_path)
    path = ws / ".hygge" / "locks" / "feed" / "gone.lock"
    path.parent.mkdir(parents=True)
    os.mkfifo(path)

    code, said = in_process(ws, "debug")

    assert code == 1, said
    assert f"state file {path} is a FIFO (named pipe)" in said, said
    assert f"remove it (`rm {path}`)" in said, said
    path.unlink()
    code, said = in_process(ws, "debug")
    assert code == 0, said


@pytest.mark.parametrize("make", ["fifo", "socket"])
def test_unlock_force_removes_a_lock_that_is_not_a_file(tmp_path, make):
    ws = _workspace(tmp_path)
    path = ws / ".hygge" / "locks" / "feed" / "events.lock"
    path.parent.mkdir(parents=True)
    server = None
    if make == "fifo":
        os.mkfifo(path)
    else:
        server = _bind_socket(path)
    try:
        code, said = in_process(ws, "debug")
        assert code == 1, said
        assert f"remove it (`rm {path}`)" in said, said

        # unlock --force, the way for a lock file that cannot be read, removes it as well
        code, said = in_process(
            ws, "unlock", "--flow", "feed", "--entity", "events", "--force", "--yes"
        )
    finally:
        if server is not None:
            server.close()
    assert code == 0, said
    assert not os.path.lexists(path), said
    code, said = in_process(ws, "go")
    assert code == 0, said
    assert read_lake(ws, "events").height == 3


@pytest.mark.parametrize("state", STATE_FILES)
def test_debug_names_a_folder_in_place_of_a_state_file_and_how_to_remove_it(tmp_path, state):
    ws = _workspace(tmp_path)
    path = ws / ".hygge" / state
    path.mkdir(parents=True)

    code, said = in_process(ws, "debug")  # said 'All checks passed.' with exit 0

    assert code == 1, said
    assert f"cannot read state file {path}: Is a directory, not a file hygge wrote" in said
    assert f"remove it (`rm -r {path}`)" in said, said
    assert "unlock" not in said and "hygge reset" not in said, said  # they cannot remove it

    path.rmdir()  # as debug says
    code, said = in_process(ws, "debug")
    assert code == 0, said
    code, said = in_process(ws, "go")
    assert code == 0, said
    assert read_lake(ws, "events").height == 3
