"""Session 27: a parquet store's entity folder that is a symbolic link (`lake/events ->
/bigdisk/events`, to put one entity's data on another disk). A full_drop swapped the link out
(the new set landing in `lake/`, the old one left behind the link, the user's link gone); an
incremental run moved its files out of the storage root and then stopped, 'interrupted while
publishing', on every later try. Now both are refused before anything is staged, naming the
link and the store path that works; that path then lands the source once."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from hygge.cli.app import app
from tests.support.cli import in_process
from tests.support.data import content_hash
from tests.support.workspace import read_lake, write_workspace

FLOW = """\
home: {type: local, path: landing, format: csv}
store: {type: parquet, path: lake}
run_type: %s
entities: [events]
"""
SOURCE = b"id,name\n1,a\n2,b\n3,c\n"


def _hygge(ws: Path, *args: str) -> tuple[int, str]:
    return in_process(ws, "go", *args)


def _linked(tmp_path: Path, run_type: str) -> tuple[Path, Path]:
    ws = write_workspace(tmp_path / "ws", {"feed": FLOW % run_type})
    (ws / "landing" / "events").mkdir(parents=True)
    (ws / "landing" / "events" / "a.csv").write_bytes(SOURCE)
    bigdisk = tmp_path / "bigdisk"
    (bigdisk / "events").mkdir(parents=True)
    (ws / "lake").mkdir()
    (ws / "lake" / "events").symlink_to(bigdisk / "events")
    return ws, bigdisk


def _same(found: pl.DataFrame) -> bool:
    source = pl.read_csv(SOURCE)
    return found.height == source.height and content_hash(found) == content_hash(source)


@pytest.mark.parametrize("run_type", ["full_drop", "incremental"])
def test_a_linked_entity_folder_is_refused_before_anything_is_staged(tmp_path, run_type):
    ws, bigdisk = _linked(tmp_path, run_type)

    code, said = _hygge(ws)

    assert code == 1, said
    assert f"store folder {ws / 'lake' / 'events'} is a symbolic link to" in said, said
    assert f"Point the store's `path` at {bigdisk.resolve()} instead" in said, said
    assert (ws / "lake" / "events").is_symlink()  # the user's link stays
    assert list((bigdisk / "events").iterdir()) == []
    assert sorted(p.name for p in (ws / "lake").iterdir()) == ["events"]  # nothing staged
    assert "interrupted" not in _hygge(ws, "--dry-run")[1]


@pytest.mark.parametrize("run_type", ["full_drop", "incremental"])
def test_the_advised_store_path_lands_the_source_once_where_the_link_pointed(tmp_path, run_type):
    ws, bigdisk = _linked(tmp_path, run_type)
    assert _hygge(ws)[0] == 1

    code, said = _hygge(ws, "--var", f"flow.feed.store.path={bigdisk}")

    assert code == 0, said
    assert _same(read_lake(bigdisk.parent, "events", lake=bigdisk.name))
    assert _hygge(ws, "--var", f"flow.feed.store.path={bigdisk}")[0] == 0  # again: nothing new
    assert _same(read_lake(bigdisk.parent, "events", lake=bigdisk.name))


def test_hygge_debug_names_the_linked_entity_folder(tmp_path):
    ws, bigdisk = _linked(tmp_path, "incremental")

    done = CliRunner(env={"COLUMNS": "400"}).invoke(app, ["debug", "-w", str(ws)])
    said = " ".join(done.output.split())

    assert done.exit_code == 1, said
    assert "is a symbolic link to" in said and str(bigdisk.resolve()) in said, said
