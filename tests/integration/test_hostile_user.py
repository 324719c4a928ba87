"""Attacks of a hostile new user: hygge refuses with a message, never a crash or a loss."""

from __future__ import annotations

from pathlib import Path

import pytest

from hygge.stores.file_marker import MARKER
from hygge.stores.file_store import FileStore
from hygge.stores.files import LocalStoreConfig
from hygge.stores.ownership import StoreOwnershipError
from hygge.types import Place, RunStatus, RunType
from tests.support.data import orders
from tests.support.workspace import land, read_lake, run, write_workspace


def open_store(root: Path) -> FileStore:
    place = Place(root, "sales", "orders", workspace="shop")
    return FileStore(LocalStoreConfig(path="lake/orders"), place)


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
