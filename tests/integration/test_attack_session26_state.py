"""Session 26's attack on the unsynced state writes, as a hostile new user: after a kill -9
mid-run, the lock or checkpoint it left is made a symlink (dangling or to a copy), a folder,
cut mid-JSON, or a whole first part followed by zeros (what a power cut can leave of a file
longer than a page). Each time the next runs either hold the source once (count and hash) or
fail naming the file and the way out, which then lands the source once."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from hygge.cli.app import app
from hygge.faults import CRASH_EXIT_CODE
from tests.support.data import content_hash, orders
from tests.support.workspace import crash, land, read_lake, write_workspace

FLOW = """\
home: {type: parquet, path: landing}
store: lake
run_type: incremental
watermark: {column: id}
entities: [orders]
"""
SOURCE = orders(12)


def _hygge(ws: Path, *args: str) -> tuple[int, str]:
    done = CliRunner(env={"COLUMNS": "400"}).invoke(
        app, [*args, "-w", str(ws)], catch_exceptions=False
    )
    return done.exit_code, " ".join(done.output.split())


def _killed(tmp_path: Path) -> Path:
    """A workspace whose run was killed after its first checkpoint (lock and checkpoint left)."""
    ws = write_workspace(
        tmp_path / "ws", {"shop": FLOW}, "name: shop\noptions: {checkpoint_rows: 5}\n"
    )
    land(ws, "orders", "a", SOURCE)
    assert crash(ws, "after_checkpoint") == CRASH_EXIT_CODE
    assert _lock(ws).is_file() and _checkpoint(ws).is_file()
    return ws


def _lock(ws: Path) -> Path:
    return ws / ".hygge" / "locks" / "shop" / "orders.lock"


def _checkpoint(ws: Path) -> Path:
    return ws / ".hygge" / "checkpoints" / "shop" / "orders.json"


def _assert_holds_the_source_once(ws: Path) -> None:
    lake = read_lake(ws, "orders").select(SOURCE.columns)
    assert lake.height == SOURCE.height
    assert content_hash(lake) == content_hash(SOURCE)


def test_a_lock_left_as_a_dangling_symlink_is_named_and_unlock_force_removes_it(tmp_path):
    ws = _killed(tmp_path)
    _lock(ws).unlink()
    _lock(ws).symlink_to(tmp_path / "nowhere.lock")

    code, said = _hygge(ws, "go")

    assert code == 1, said
    assert "is a symbolic link to" in said and "nowhere.lock, which does not exist" in said, said
    assert "network share" not in said, said  # it said file locking did not work there
    assert "hygge unlock --flow shop --entity orders --force" in said, said
    code, unlocked = _hygge(ws, "unlock", "-f", "shop", "-e", "orders", "--force", "--yes")
    assert code == 0 and "Removed the lock" in unlocked, unlocked
    assert not _lock(ws).is_symlink() and not (tmp_path / "nowhere.lock").exists()
    assert _hygge(ws, "go")[0] == 0
    _assert_holds_the_source_once(ws)


def test_a_lock_that_is_a_symlink_to_a_copy_is_taken_and_the_copy_left_alone(tmp_path):
    ws = _killed(tmp_path)
    copy = tmp_path / "copy.lock"
    copy.write_bytes(_lock(ws).read_bytes())
    _lock(ws).unlink()
    _lock(ws).symlink_to(copy)

    code, said = _hygge(ws, "go")

    assert code == 0, said
    assert copy.read_bytes() and not _lock(ws).is_symlink()  # replaced, never written through
    _assert_holds_the_source_once(ws)


@pytest.mark.parametrize("which", ["lock", "checkpoint"])
def test_a_lock_or_checkpoint_that_is_a_folder_fails_the_run_naming_it(tmp_path, which):
    ws = _killed(tmp_path)
    path = _lock(ws) if which == "lock" else _checkpoint(ws)
    path.unlink()
    path.mkdir()

    code, said = _hygge(ws, "go")

    assert code == 1, said
    assert f"cannot read state file {path}: Is a directory" in said, said
    assert read_lake(ws, "orders").height == 0


def test_a_checkpoint_cut_mid_json_fails_naming_reset_and_the_reset_run_lands_it_once(tmp_path):
    ws = _killed(tmp_path)
    raw = _checkpoint(ws).read_bytes()
    _checkpoint(ws).write_bytes(raw[: len(raw) // 2])

    code, said = _hygge(ws, "go")

    assert code == 1, said
    assert f"state file {_checkpoint(ws)} is corrupt" in said, said
    assert "hygge reset --flow shop --entity orders" in said, said
    assert read_lake(ws, "orders").height == 0
    assert _hygge(ws, "reset", "-f", "shop", "--yes")[0] == 0
    assert _hygge(ws, "go")[0] == 0
    _assert_holds_the_source_once(ws)


@pytest.mark.parametrize("which", ["lock", "checkpoint"])
def test_a_lock_or_checkpoint_torn_after_its_first_bytes_reads_as_absent(tmp_path, which):
    ws = _killed(tmp_path)
    path = _lock(ws) if which == "lock" else _checkpoint(ws)
    raw = path.read_bytes()
    path.write_bytes(raw[:30] + b"\0" * (len(raw) - 30))

    code, said = _hygge(ws, "go")

    assert code == 0, said
    kind = "lock file" if which == "lock" else "checkpoint"
    assert f"the {kind} {path} is torn by a power cut (30 bytes, then" in said, said  # said
    _assert_holds_the_source_once(ws)
