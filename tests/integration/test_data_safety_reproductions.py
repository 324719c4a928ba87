"""The reported losses, replayed through the engine: each now fails and deletes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from hygge.types import RunStatus
from tests.support.data import content_hash, orders
from tests.support.workspace import land, read_lake, run, write_workspace


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A temporary user home with documents in it; HOME points at it."""
    folder = tmp_path / "home" / "me"
    (folder / "Documents").mkdir(parents=True)
    (folder / "Documents" / "taxes.pdf").write_text("precious")
    monkeypatch.setenv("HOME", str(folder))
    return folder


def test_a_full_drop_into_an_existing_documents_folder_is_refused(tmp_path, home):
    flow = "home: {type: parquet, path: landing/o}\nstore: ${HOME}/Documents\n"
    root = write_workspace(tmp_path / "ws", {"f": flow + "run_type: full_drop\n"})
    land(root, "o", "a", orders(3))

    result = run(root).results[0]

    assert result.status is RunStatus.FAIL
    assert f"store folder {home / 'Documents'} already holds 1 entry" in (result.message or "")
    assert (home / "Documents" / "taxes.pdf").read_text() == "precious"
    assert not (home / "_hygge_staging").exists()


def test_a_full_drop_of_a_home_holding_only_gz_files_keeps_the_store(tmp_path):
    flow = "home: {type: local, path: landing, format: csv}\nstore: lake\nentities: [o]\n"
    root = write_workspace(tmp_path / "ws", {"f": flow})
    landed = land(root, "o", "a", orders(4), fmt="csv")
    assert run(root).ok
    loaded = content_hash(read_lake(root, "o"))
    landed.rename(landed.with_name("a.csv.gz"))  # the source now arrives compressed

    result = run(root).results[0]

    assert result.status is RunStatus.FAIL
    assert "holds 1 file but none that hygge reads as csv (.csv): a.csv.gz" in (
        result.message or ""
    )
    assert content_hash(read_lake(root, "o")) == loaded
    assert read_lake(root, "o").height == 4
