"""Crash-safe file operations."""

from __future__ import annotations

from pathlib import Path

import pytest

import hygge.io.atomic
from hygge.io.atomic import (
    exchange_dirs,
    move_no_replace,
    remove_empty_dir,
    swap_in,
    write_atomically,
)


def make_dir(path: Path, *files: str) -> Path:
    path.mkdir(parents=True)
    for name in files:
        (path / name).write_text(name)
    return path


def listing(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir())


def test_write_atomically_leaves_no_file_when_the_writer_fails(tmp_path):
    def failing(path: Path) -> None:
        path.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_atomically(tmp_path / "a.parquet", failing)
    assert listing(tmp_path) == []


def test_write_atomically_replaces_the_target_whole(tmp_path):
    (tmp_path / "a.txt").write_text("old")

    def write(path: Path) -> None:
        path.write_text("new")

    write_atomically(tmp_path / "a.txt", write)
    assert (tmp_path / "a.txt").read_text() == "new"
    assert listing(tmp_path) == ["a.txt"]


@pytest.mark.parametrize("renameat2", [True, False], ids=["renameat2", "link-fallback"])
def test_move_no_replace_never_overwrites(tmp_path, monkeypatch, renameat2):
    if not renameat2:
        monkeypatch.setattr(hygge.io.atomic, "_renameat2", lambda src, dst, flags: False)
    (tmp_path / "a").write_text("a")
    (tmp_path / "b").write_text("b")
    with pytest.raises(FileExistsError):
        move_no_replace(tmp_path / "a", tmp_path / "b")
    assert (tmp_path / "b").read_text() == "b"
    move_no_replace(tmp_path / "a", tmp_path / "c")
    assert listing(tmp_path) == ["b", "c"]


def test_exchange_dirs_swaps_two_folders(tmp_path):
    a, b = make_dir(tmp_path / "a", "new"), make_dir(tmp_path / "b", "old")
    assert exchange_dirs(a, b)
    assert (listing(a), listing(b)) == (["old"], ["new"])


@pytest.mark.parametrize("renameat2", [True, False], ids=["exchange", "rename-aside"])
def test_swap_in_replaces_the_target_folder(tmp_path, monkeypatch, renameat2):
    if not renameat2:
        monkeypatch.setattr(hygge.io.atomic, "_renameat2", lambda src, dst, flags: False)
    new = make_dir(tmp_path / "staging" / "run", "new")
    target = make_dir(tmp_path / "lake" / "orders", "old")
    aside = tmp_path / "staging" / "run.old"
    swap_in(new, target, aside)
    assert listing(target) == ["new"]
    old_location = new if renameat2 else aside
    assert listing(old_location) == ["old"]


def test_swap_in_creates_a_missing_target_with_a_plain_rename(tmp_path):
    new = make_dir(tmp_path / "staging" / "run", "new")
    swap_in(new, tmp_path / "lake" / "orders", tmp_path / "aside")
    assert listing(tmp_path / "lake" / "orders") == ["new"]
    assert not new.exists()


def test_remove_empty_dir_keeps_a_folder_still_in_use(tmp_path):
    busy = make_dir(tmp_path / "busy", "x")
    assert not remove_empty_dir(busy)
    assert remove_empty_dir(make_dir(tmp_path / "empty"))
    assert remove_empty_dir(tmp_path / "gone")


def test_make_dirs_fsyncs_the_parent_of_each_folder_it_creates(tmp_path, monkeypatch):
    synced: list[Path] = []
    monkeypatch.setattr(hygge.io.atomic, "fsync_dir", synced.append)
    (tmp_path / "a").mkdir()
    hygge.io.atomic.make_dirs(tmp_path / "a" / "b" / "c")
    assert (tmp_path / "a" / "b" / "c").is_dir()
    assert synced == [tmp_path / "a", tmp_path / "a" / "b"]  # not tmp_path: a already existed


def test_make_dirs_of_an_existing_folder_syncs_nothing(tmp_path, monkeypatch):
    synced: list[Path] = []
    monkeypatch.setattr(hygge.io.atomic, "fsync_dir", synced.append)
    hygge.io.atomic.make_dirs(tmp_path)
    assert synced == []


def test_make_dirs_refuses_a_file_in_the_way(tmp_path):
    (tmp_path / "a").write_text("not a folder")
    with pytest.raises(FileExistsError):
        hygge.io.atomic.make_dirs(tmp_path / "a" / "b")
