"""One state folder belongs to one workspace: refused elsewhere, adopted after a move."""

from __future__ import annotations

import json
import shutil

import polars as pl

from tests.support.cli import hygge
from tests.support.workspace import land, read_lake, write_workspace

FLOW = """\
home: {type: parquet, path: landing}
store: lake
run_type: incremental
watermark: {column: id}
entities: [orders]
"""


def _workspace(root, state=None):
    project = "name: s\n" if state is None else f"name: s\nstate: {{type: local, path: {state}}}\n"
    ws = write_workspace(root, {"f": FLOW}, project=project)
    land(ws, "orders", "a", pl.DataFrame({"id": [1, 2, 3]}))
    return ws


def _said(done):
    return " ".join((done.stdout + done.stderr).split())


def test_the_first_run_records_the_workspace_as_the_state_folders_owner(tmp_path):
    shared = tmp_path / "shared"
    ws = _workspace(tmp_path / "a", shared)

    assert hygge(ws, "go").returncode == 0

    owner = json.loads((shared / "owner.json").read_text())
    assert owner == {"name": "s", "root": str(ws.resolve())}


def test_a_state_folder_of_an_older_hygge_is_claimed_by_the_next_run(tmp_path):
    ws = _workspace(tmp_path / "a")
    assert hygge(ws, "go").returncode == 0
    (ws / ".hygge" / "owner.json").unlink()  # as an older hygge left it

    done = hygge(ws, "go")

    assert done.returncode == 0, _said(done)
    assert (ws / ".hygge" / "owner.json").exists()
    assert read_lake(ws, "orders").height == 3


def test_a_dry_run_records_no_owner(tmp_path):
    ws = _workspace(tmp_path / "a")

    assert hygge(ws, "go", "--dry-run").returncode == 0

    assert not (ws / ".hygge" / "owner.json").exists()


def test_a_workspace_moved_with_its_own_state_folder_keeps_it(tmp_path):
    ws = _workspace(tmp_path / "a")
    assert hygge(ws, "go").returncode == 0
    moved = shutil.move(ws, tmp_path / "b")

    done = hygge(moved, "go")

    assert done.returncode == 0, _said(done)
    assert read_lake(moved, "orders").height == 3  # the watermark held: nothing loaded twice


def test_a_moved_workspace_is_refused_then_adopts_its_outside_state_folder(tmp_path):
    shared = tmp_path / "shared"
    ws = _workspace(tmp_path / "a", shared)
    assert hygge(ws, "go").returncode == 0
    moved = shutil.move(ws, tmp_path / "b")

    refused = hygge(moved, "go")
    adopted = hygge(moved, "adopt-state")
    again = hygge(moved, "go")

    assert refused.returncode == 2, _said(refused)
    assert f"moved here from {ws.resolve()}, run `hygge adopt-state`" in _said(refused)
    assert adopted.returncode == 0, _said(adopted)
    assert f"now belongs to workspace 's' at {moved.resolve()}" in _said(adopted)
    assert again.returncode == 0, _said(again)
    assert read_lake(moved, "orders").height == 3  # the adopted watermark held


def test_adopting_the_state_of_a_workspace_still_there_needs_yes(tmp_path):
    shared = tmp_path / "shared"
    first = _workspace(tmp_path / "a", shared)
    second = _workspace(tmp_path / "b", shared)
    assert hygge(first, "go").returncode == 0

    declined = hygge(second, "adopt-state")
    adopted = hygge(second, "adopt-state", "--yes")
    old = hygge(first, "go")

    assert declined.returncode == 1, _said(declined)
    assert f"belongs to workspace 's' at {first.resolve()}, which is still there" in _said(declined)
    assert adopted.returncode == 0, _said(adopted)
    assert old.returncode == 2, _said(old)
    assert f"belongs to workspace 's' at {second.resolve()}" in _said(old)


def test_debug_reports_a_state_folder_of_another_workspace(tmp_path):
    shared = tmp_path / "shared"
    first = _workspace(tmp_path / "a", shared)
    second = _workspace(tmp_path / "b", shared)
    assert hygge(first, "go").returncode == 0

    done = hygge(second, "debug")

    assert done.returncode == 1, _said(done)
    assert f"✗ state folder {shared} belongs to workspace 's' at {first.resolve()}" in _said(done)


def test_reading_commands_refuse_a_state_folder_of_another_workspace(tmp_path):
    shared = tmp_path / "shared"
    first = _workspace(tmp_path / "a", shared)
    second = _workspace(tmp_path / "b", shared)
    assert hygge(first, "go").returncode == 0

    done = hygge(second, "journal")

    assert done.returncode == 2, _said(done)
    assert "hygge adopt-state" in _said(done)
