"""What an entity run syncs, and in which order: every fsync orders a step before one that
relies on it (DESIGN.md §3), and the ones nothing relies on are not made."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import hygge.stores.file_store
from hygge.state.local import LocalStateBackend
from hygge.types import RunStatus
from tests.support.data import orders
from tests.support.workspace import land, run, write_workspace

FLOW = """\
home: {type: parquet, path: landing}
store: {type: parquet, path: lake}
run_type: full_drop
entities: [orders]
"""


def _record(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, object]]:
    """The file store's folder syncs and the state's checkpoint saves, in order."""
    events: list[tuple[str, object]] = []
    real_sync = hygge.stores.file_store.fsync_dir
    real_save = LocalStateBackend.save_checkpoint

    def sync(folder: Path) -> None:
        events.append(("sync", folder))
        real_sync(folder)

    def save(self, flow, entity, checkpoint, *, synced=True):  # type: ignore[no-untyped-def]
        events.append(("checkpoint", synced))
        real_save(self, flow, entity, checkpoint, synced=synced)

    monkeypatch.setattr(hygge.stores.file_store, "fsync_dir", sync)
    monkeypatch.setattr(LocalStateBackend, "save_checkpoint", save)
    return events


@pytest.mark.parametrize("rows", [0, 3])
def test_the_staging_folder_is_synced_before_the_synced_checkpoint_lists_it(
    tmp_path, monkeypatch, rows
):
    """`prepare` leaves its open marker's entry unsynced; the first chunk syncs the staging
    folder, with rows or without, before the `publishing` checkpoint (synced) names it."""
    root = write_workspace(tmp_path / "ws", {"shop": FLOW})
    land(root, "orders", "a", orders(rows))
    events = _record(monkeypatch)

    report = run(root)

    assert report.results[0].status is (RunStatus.SUCCESS if rows else RunStatus.SKIP)
    staging = root / "lake" / "_hygge_staging" / "orders"
    syncs = [i for i, (kind, what) in enumerate(events) if kind == "sync"]
    staged = [i for i in syncs if Path(str(events[i][1])).parent == staging]
    publishing = events.index(("checkpoint", True))
    assert staged and staged[0] < publishing


def test_a_small_entity_run_makes_fifteen_fsyncs(tmp_path, monkeypatch):
    """The count that issue 8 cut from 17 (18 with the folders `_hygge_staging` makes): a
    change that adds one should say which later step relies on it."""
    root = write_workspace(tmp_path / "ws", {"shop": FLOW})
    land(root, "orders", "a", orders(3))
    run(root)  # the lake, the state folders and the journal folder exist from here on
    real = os.fsync
    seen: list[int] = []

    def counting(fd: int) -> None:
        seen.append(fd)
        real(fd)

    monkeypatch.setattr(os, "fsync", counting)
    report = run(root)

    assert report.results[0].status is RunStatus.SUCCESS
    assert len(seen) == 15
