"""Entities of one store share `_hygge_staging/`: one run's clean-up never fails another's."""

from __future__ import annotations

from pathlib import Path

import pytest

import hygge.storage.local
from hygge.stores.file_store import FileStore, open_file_store
from hygge.stores.files import LocalStoreConfig
from hygge.types import Place, RunType
from tests.support.data import orders


def open_store(root: Path, entity: str) -> FileStore:
    return open_file_store(LocalStoreConfig(path=f"lake/{entity}"), Place(root, "sales", entity))


def test_a_publish_survives_another_entity_removing_the_shared_staging_folder_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = open_store(tmp_path, "orders"), open_store(tmp_path, "customers")
    staged_first = first.write(first.prepare("run-1", RunType.FULL_DROP), orders(2))
    staged_second = second.write(second.prepare("run-2", RunType.FULL_DROP), orders(3))
    real_fsync = hygge.storage.local.fsync_dir
    shared = tmp_path / "lake" / "_hygge_staging"
    interleaved: list[str] = []

    def fsync_after_the_other_run_finished(folder: Path) -> None:
        if folder == tmp_path / "lake" and not interleaved:  # right after the first's rename
            interleaved.append("second published")
            second.publish(staged_second)  # the last run out removes the shared folder
        real_fsync(folder)

    monkeypatch.setattr(hygge.storage.local, "fsync_dir", fsync_after_the_other_run_finished)

    first.publish(staged_first)

    assert interleaved == ["second published"]
    assert not shared.exists()
    assert len(list((tmp_path / "lake" / "orders").glob("*.parquet"))) == 1
    assert len(list((tmp_path / "lake" / "customers").glob("*.parquet"))) == 1
