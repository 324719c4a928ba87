"""What begin of an incremental run of a file home costs per file it loaded before: one stat
(the listing) and its ledger record; no footer, no digest, no link resolved. The rows hint
counts the files the run reads."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import hygge.engine.windows
import hygge.homes.file_home
from hygge.config import load_workspace
from hygge.engine.plan import Selection, plan_run
from hygge.engine.windows import open_run_window
from hygge.errors import DataError
from hygge.types import RunType
from tests.support.data import orders
from tests.support.workspace import land, read_lake, run, state_of, write_workspace

FLOW = """\
home: {type: parquet, path: landing}
store: {type: parquet, path: lake}
run_type: incremental
entities: [orders]
"""


def _window(root: Path, run_type: RunType | None = None):  # type: ignore[no-untyped-def]
    workspace = load_workspace(root)
    (task,) = plan_run(workspace, Selection(run_type=run_type)).tasks
    return open_run_window(task, state_of(workspace)).window


def _footer_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    reads: list[str] = []
    real = hygge.homes.file_home.parquet_row_count

    def counted(path: Path) -> int:
        reads.append(path.name)
        return real(path)

    monkeypatch.setattr(hygge.homes.file_home, "parquet_row_count", counted)
    return reads


def test_an_incremental_run_opens_no_footer_of_a_file_loaded_before(tmp_path, monkeypatch):
    write_workspace(tmp_path, {"shop": FLOW})
    land(tmp_path, "orders", "part-1", orders(3))
    land(tmp_path, "orders", "part-2", orders(4, start=3))
    run(tmp_path)
    land(tmp_path, "orders", "part-3", orders(2, start=7))
    reads = _footer_reads(monkeypatch)
    window = _window(tmp_path)
    assert [f.path for f in window.files or []] == ["part-3.parquet"]
    assert window.rows_hint == 2  # the new file's rows: the progress of what is read
    assert reads == ["part-3.parquet"]


def test_a_full_drop_counts_every_file_for_its_rows_hint(tmp_path, monkeypatch):
    write_workspace(tmp_path, {"shop": FLOW})
    land(tmp_path, "orders", "part-1", orders(3))
    run(tmp_path)
    land(tmp_path, "orders", "part-2", orders(4, start=3))
    reads = _footer_reads(monkeypatch)
    window = _window(tmp_path, RunType.FULL_DROP)
    assert window.rows_hint == 7
    assert sorted(reads) == ["part-1.parquet", "part-2.parquet"]


def test_an_incremental_run_with_nothing_new_hints_no_rows_and_reads_no_footer(
    tmp_path, monkeypatch
):
    write_workspace(tmp_path, {"shop": FLOW})
    land(tmp_path, "orders", "part-1", orders(3))
    run(tmp_path)
    reads = _footer_reads(monkeypatch)
    window = _window(tmp_path)
    assert window.files == [] and window.rows_hint == 0 and reads == []


def test_links_are_resolved_for_the_files_read_only(tmp_path, monkeypatch):
    write_workspace(tmp_path, {"shop": FLOW})
    for index in range(5):
        land(tmp_path, "orders", f"part-{index}", orders(1, start=index))
    run(tmp_path)
    land(tmp_path, "orders", "part-9", orders(1, start=9))
    resolved: list[str] = []
    real = os.path.realpath

    def counted(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        resolved.append(os.fspath(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(hygge.engine.windows.os.path, "realpath", counted)
    _window(tmp_path)
    names = {Path(p).name for p in resolved if Path(p).name.startswith("part-")}
    assert names == {"part-9.parquet"}  # the new file is checked, the five loaded ones not


def test_a_new_link_to_the_own_store_is_still_refused_after_loaded_files(tmp_path):
    write_workspace(tmp_path, {"shop": FLOW})
    land(tmp_path, "orders", "part-1", orders(3))
    run(tmp_path)
    (tmp_path / "landing" / "orders" / "back").symlink_to(tmp_path / "lake" / "orders")
    with pytest.raises(DataError, match="its own store folder"):
        _window(tmp_path)
    assert read_lake(tmp_path, "orders").height == 3
