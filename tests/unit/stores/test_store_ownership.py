"""File stores replace and append only in entity folders they own (`_hygge_store.json`)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from hygge.errors import InjectedFault, StateError
from hygge.homes.base import ReadSpec
from hygge.stores.file_marker import MARKER
from hygge.stores.file_publish import RenamePublish
from hygge.stores.file_store import FileStore, open_file_store
from hygge.stores.files import LocalStoreConfig
from hygge.stores.ownership import StoreOwnershipError
from hygge.types import Place, RunType
from tests.support.data import orders

STARTED = dt.datetime(2024, 5, 17, 8, 30, 5, tzinfo=dt.UTC)
BOTH = pytest.mark.parametrize("run_type", [RunType.FULL_DROP, RunType.INCREMENTAL])


def open_store(
    root: Path, entity: str = "orders", workspace: str = "shop", **config: Any
) -> FileStore:
    settings = {"path": f"lake/{entity}", **config}
    place = Place(root, "sales", entity, workspace=workspace)
    return open_file_store(LocalStoreConfig(**settings), place, clock=lambda: STARTED)


def run(store: FileStore, run_type: RunType, run_id: str, rows: int = 2) -> None:
    staging = store.prepare(run_id, run_type)
    store.publish(store.write(staging, orders(rows)))


def stranger_folder(root: Path, count: int = 7) -> Path:
    folder = root / "lake" / "orders"
    folder.mkdir(parents=True)
    for index in range(count):
        (folder / f"notes-{index}.txt").write_text("mine, not hygge's")
    return folder


def marker(folder: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((folder / MARKER).read_text())
    return loaded


@BOTH
def test_a_non_empty_folder_hygge_did_not_write_is_refused_before_staging(tmp_path, run_type):
    folder = stranger_folder(tmp_path)
    store = open_store(tmp_path)
    with pytest.raises(StoreOwnershipError) as refused:
        store.prepare("run-1", run_type)
    message = str(refused.value)
    assert f"store folder {folder} already holds 7 entries that hygge did not write" in message
    assert "notes-0.txt, notes-1.txt, notes-2.txt, notes-3.txt, notes-4.txt and 2 more" in message
    assert "Empty the folder, pick another store path, or set `adopt_existing: true`" in message
    assert sorted(p.name for p in folder.iterdir()) == [f"notes-{i}.txt" for i in range(7)]
    assert not (tmp_path / "lake" / "_hygge_staging").exists()
    assert store.check() == [message]


@BOTH
def test_a_missing_or_empty_folder_is_taken_and_marked_at_publish(tmp_path, run_type):
    (tmp_path / "lake" / "orders").mkdir(parents=True)
    store = open_store(tmp_path)
    assert store.ownership_problem() is None
    run(store, run_type, "run-1")
    owner = marker(tmp_path / "lake" / "orders")
    assert owner.pop("commits")["recent_runs"] == ["run-1"]  # the completion marker
    assert owner == {
        "workspace": "shop",
        "workspace_root": str(tmp_path),
        "flow": "sales",
        "entity": "orders",
        "store": "local parquet",
        "created_at": "2024-05-17T08:30:05Z",
    }


@BOTH
def test_a_folder_the_entity_owns_keeps_working_run_after_run(tmp_path, run_type):
    store = open_store(tmp_path)
    run(store, run_type, "run-1")
    run(store, run_type, "run-2")
    rows = pl.read_parquet(tmp_path / "lake" / "orders" / "*.parquet").height
    assert rows == (2 if run_type is RunType.FULL_DROP else 4)
    assert store.check() == []


def test_the_marker_keeps_the_date_of_the_first_publish(tmp_path):
    run(open_store(tmp_path), RunType.FULL_DROP, "run-1")
    later = open_file_store(
        LocalStoreConfig(path="lake/orders"),
        Place(tmp_path, "sales", "orders", workspace="shop"),
        clock=lambda: STARTED + dt.timedelta(days=3),
    )
    run(later, RunType.FULL_DROP, "run-2")
    assert marker(tmp_path / "lake" / "orders")["created_at"] == "2024-05-17T08:30:05Z"


@BOTH
def test_adopt_existing_takes_over_a_stranger_folder_and_marks_it(tmp_path, run_type):
    folder = stranger_folder(tmp_path, count=2)
    store = open_store(tmp_path, adopt_existing=True)
    assert store.check() == []
    run(store, run_type, "run-1")
    assert marker(folder)["entity"] == "orders"
    texts = sorted(p.name for p in folder.glob("*.txt"))
    assert texts == ([] if run_type is RunType.FULL_DROP else ["notes-0.txt", "notes-1.txt"])
    assert open_store(tmp_path).ownership_problem() is None  # owned from now on


@pytest.mark.parametrize(
    ("workspace", "entity_folder", "owner_text"),
    [
        pytest.param("other", "orders", "entity sales.orders of workspace 'other'", id="workspace"),
        pytest.param(
            "shop", "customers", "entity sales.customers of workspace 'shop'", id="entity"
        ),
    ],
)
def test_a_folder_owned_by_another_store_is_refused_naming_the_owner(
    tmp_path, workspace, entity_folder, owner_text
):
    run(open_store(tmp_path, entity_folder, workspace=workspace), RunType.FULL_DROP, "run-1")
    claimed = open_file_store(
        LocalStoreConfig(path=f"lake/{entity_folder}", adopt_existing=True),
        Place(tmp_path, "sales", "orders", workspace="shop"),
    )
    with pytest.raises(StoreOwnershipError) as refused:
        claimed.prepare("run-2", RunType.FULL_DROP)
    assert f"store folder {tmp_path / 'lake' / entity_folder} belongs to {owner_text}" in str(
        refused.value
    )
    assert "not to entity sales.orders of workspace 'shop'" in str(refused.value)


def test_an_unreadable_marker_is_refused_not_overwritten(tmp_path):
    folder = tmp_path / "lake" / "orders"
    folder.mkdir(parents=True)
    (folder / MARKER).write_text("{not json")
    with pytest.raises(StoreOwnershipError, match="not a marker hygge can read"):
        open_store(tmp_path, adopt_existing=True).prepare("run-1", RunType.FULL_DROP)
    assert (folder / MARKER).read_text() == "{not json"


def test_the_marker_is_in_the_staged_folder_before_the_exchange(tmp_path, monkeypatch):
    store = open_store(tmp_path)
    staging = store.write(store.prepare("run-1", RunType.FULL_DROP), orders(1))
    seen: list[bool] = []

    def crash_at_exchange(self, new: str, target: str, aside: str) -> None:
        seen.append((Path(staging.location) / MARKER).is_file())
        raise InjectedFault("crash at the exchange")

    monkeypatch.setattr(RenamePublish, "_swap_in", crash_at_exchange)
    with pytest.raises(InjectedFault):
        store.publish(staging)
    assert seen == [True]


def test_incremental_marks_the_folder_before_its_first_file(tmp_path, monkeypatch):
    store = open_store(tmp_path)
    staging = store.write(store.prepare("run-1", RunType.INCREMENTAL), orders(1))

    def crash_at_move(self, src: str, dst: str) -> None:
        raise InjectedFault("crash before the first file moves")

    monkeypatch.setattr(RenamePublish, "_move", crash_at_move)
    with pytest.raises(InjectedFault):
        store.publish(staging)
    assert open_store(tmp_path).ownership_problem() is None
    assert marker(tmp_path / "lake" / "orders")["entity"] == "orders"


def test_readers_of_the_store_never_see_the_marker(tmp_path):
    from hygge.homes.files import ParquetHomeConfig

    run(open_store(tmp_path), RunType.FULL_DROP, "run-1")
    home = ParquetHomeConfig(path="lake/orders").open(Place(tmp_path, "gold", "orders"))
    window = home.open_window(ReadSpec())
    assert [entry.path for entry in window.files or []] == ["00000000000000000000.parquet"]


def test_a_staging_folder_that_is_a_symlink_is_refused_and_nothing_outside_is_deleted(tmp_path):
    elsewhere = tmp_path / "elsewhere" / "orders" / "run-1"
    elsewhere.mkdir(parents=True)
    (elsewhere / "precious.txt").write_text("keep")
    (tmp_path / "lake").mkdir()
    (tmp_path / "lake" / "_hygge_staging").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(StateError, match="is a symbolic link"):
        open_store(tmp_path).prepare("run-1", RunType.FULL_DROP)
    assert (elsewhere / "precious.txt").read_text() == "keep"


def test_abort_deletes_nothing_outside_a_staging_folder_hygge_made(tmp_path):
    store = open_store(tmp_path)
    staging = store.prepare("run-1", RunType.FULL_DROP)
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "keep.txt").write_text("keep")
    edited = staging.model_copy(update={"location": str(precious)})  # an edited checkpoint
    with pytest.raises(StateError, match="not a staging folder hygge made"):
        store.abort(edited)
    assert (precious / "keep.txt").read_text() == "keep"


@BOTH
def test_publish_refuses_a_folder_that_a_stranger_filled_after_prepare(tmp_path, run_type):
    store = open_store(tmp_path)
    staging = store.write(store.prepare("run-1", run_type), orders(1))
    folder = stranger_folder(tmp_path, count=1)  # e.g. while the run was interrupted
    with pytest.raises(StoreOwnershipError, match="already holds 1 entry that hygge did not"):
        store.publish(staging)
    assert sorted(p.name for p in folder.iterdir()) == ["notes-0.txt"]
    store.abort(staging)
    assert sorted(p.name for p in folder.iterdir()) == ["notes-0.txt"]


def test_remove_tree_deletes_links_inside_a_folder_never_what_they_point_to(tmp_path):
    from hygge.io.atomic import remove_tree

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep")
    doomed = tmp_path / "doomed"
    doomed.mkdir()
    (doomed / "link").symlink_to(outside)
    (doomed / "file-link").symlink_to(outside / "keep.txt")
    top_link = tmp_path / "top-link"
    top_link.symlink_to(outside)
    remove_tree(doomed)
    remove_tree(top_link)
    assert not doomed.exists()
    assert not top_link.is_symlink()
    assert (outside / "keep.txt").read_text() == "keep"


def test_resume_deletes_nothing_in_a_folder_an_edited_checkpoint_names(tmp_path):
    store = open_store(tmp_path)
    staging = store.prepare("run-1", RunType.FULL_DROP)
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "keep.txt").write_text("keep")
    stat = precious.stat()
    edited = staging.model_copy(
        update={
            "location": str(precious),
            "extra": {**staging.extra, "device": stat.st_dev, "inode": stat.st_ino},
        }
    )
    with pytest.raises(StateError, match="not a staging folder hygge made"):
        store.discard_unlisted(edited)
    assert (precious / "keep.txt").read_text() == "keep"
