"""Attacks of a hostile new user, replayed: each ends with a clear refusal and nothing lost,
destroyed or doubled — never a crash."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from hygge.stores.file_marker import MARKER
from hygge.stores.file_store import FileStore, open_file_store
from hygge.stores.files import LocalStoreConfig
from hygge.stores.ownership import StoreOwnershipError
from hygge.types import Place, RunStatus, RunType
from tests.support.data import orders
from tests.support.workspace import land, read_lake, run, write_workspace


def open_store(root: Path) -> FileStore:
    place = Place(root, "sales", "orders", workspace="shop")
    return open_file_store(LocalStoreConfig(path="lake/orders"), place)


def test_a_marker_that_is_not_utf8_text_is_refused_naming_it_not_a_decode_crash(tmp_path):
    folder = tmp_path / "lake" / "orders"
    folder.mkdir(parents=True)
    (folder / MARKER).write_bytes(b"\xd3\xa0\xff binary, not a marker")
    (folder / "data.parquet").write_bytes(b"precious")
    store = open_store(tmp_path)
    problem = store.ownership_problem()
    assert problem is not None and str(folder / MARKER) in problem
    assert "will not replace it" in problem
    with pytest.raises(StoreOwnershipError):
        store.prepare("run-1", RunType.FULL_DROP)
    assert (folder / "data.parquet").read_bytes() == b"precious"


def test_a_link_in_the_home_to_its_own_store_is_refused_not_read_back_doubling_rows(tmp_path):
    flow = "home: {type: local, path: landing, format: parquet}\nstore: lake\nentities: [o]\n"
    root = write_workspace(tmp_path / "ws", {"f": flow + "run_type: full_drop\n"})
    land(root, "o", "a", orders(3))
    assert run(root).ok
    (root / "landing" / "o" / "back").symlink_to(root / "lake" / "o")

    result = run(root).results[0]

    assert result.status is RunStatus.FAIL
    assert f"{root / 'landing' / 'o' / 'back'}" in (result.message or "")
    assert "its own store folder" in (result.message or "")
    assert read_lake(root, "o").height == 3


def test_a_copy_of_a_workspace_cannot_append_into_the_store_the_original_still_writes(tmp_path):
    lake = tmp_path / "lake"
    flow = f"home: {{type: parquet, path: landing}}\nstore: {lake}\nentities: [o]\n"
    original = write_workspace(tmp_path / "ws", {"f": flow + "run_type: incremental\n"})
    land(original, "o", "a", orders(3))
    copy = tmp_path / "ws-copy"
    shutil.copytree(original, copy)  # a second checkout of the same project, same name
    assert run(original).ok

    result = run(copy).results[0]

    assert result.status is RunStatus.FAIL
    assert f"belongs to entity f.o of workspace 'test' ({original})" in (result.message or "")
    assert pl.read_parquet(lake / "o" / "*.parquet").height == 3


def test_a_moved_workspace_keeps_writing_its_own_store(tmp_path):
    lake = tmp_path / "lake"
    flow = f"home: {{type: parquet, path: landing}}\nstore: {lake}\nentities: [o]\n"
    original = write_workspace(tmp_path / "ws", {"f": flow + "run_type: full_drop\n"})
    land(original, "o", "a", orders(3))
    assert run(original).ok
    moved = original.rename(tmp_path / "moved")

    assert run(moved).ok
    assert pl.read_parquet(lake / "o" / "*.parquet").height == 3


def test_a_staging_folder_hygge_may_not_write_fails_naming_it_and_what_to_do(tmp_path, monkeypatch):
    flow = "home: {type: parquet, path: landing}\nstore: lake\nentities: [o]\n"
    root = write_workspace(tmp_path / "ws", {"f": flow + "run_type: full_drop\n"})
    land(root, "o", "a", orders(3))
    staging = root / "lake" / "_hygge_staging"
    make_folder = Path.mkdir

    def mkdir(self: Path, *args: object, **kwargs: object) -> None:
        if staging in self.parents:  # as with a `_hygge_staging` another user owns, mode 700
            raise PermissionError(13, "Permission denied", str(staging / "o"))
        make_folder(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "mkdir", mkdir)
    looked = Path.is_symlink

    def is_symlink(self: Path) -> bool:
        if self == staging / "o":  # lstat fails too inside a folder this user may not enter
            raise PermissionError(13, "Permission denied", str(self))
        return looked(self)

    monkeypatch.setattr(Path, "is_symlink", is_symlink)

    result = run(root).results[0]

    assert result.status is RunStatus.FAIL
    message = result.message or ""
    assert f"cannot create the staging folder {staging / 'o'}" in message
    assert "Permission denied" in message and "chmod" in message
