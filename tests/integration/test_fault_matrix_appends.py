"""Nothing lost, nothing doubled for an appended file: a fault at every step boundary of the
run that loads its new rows (an error, or the process killed), then a rerun.

The store must equal the source (row count and an order-insensitive content hash), so the
rows of the file loaded before its append are never loaded twice, and its new rows once.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest

from hygge.faults import CRASH_EXIT_CODE, FAULT_POINTS, reset_faults
from tests.support.data import content_hash
from tests.support.workspace import crash, read_lake, run, write_workspace

FLOW = """\
home: {type: local, path: landing, format: csv, batch_size: 4}
store: {type: parquet, path: lake, batch_size: 5}
run_type: incremental
entities: [events]
"""


def prepare(root: Path) -> pl.DataFrame:
    """A loaded csv file, then rows appended to it; returns the whole source."""
    write_workspace(root, {"feed": FLOW})
    path = root / "landing" / "events" / "a.csv"
    path.parent.mkdir(parents=True)
    path.write_text("id,name\n" + "".join(f"{i},n{i}\n" for i in range(12)))
    assert run(root).ok
    with path.open("a") as out:
        out.write("".join(f"{i},n{i}\n" for i in range(12, 23)))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    return pl.DataFrame({"id": list(range(23)), "name": [f"n{i}" for i in range(23)]})


def assert_store_matches(root: Path, source: pl.DataFrame) -> None:
    lake = read_lake(root, "events").select(source.columns).cast(dict(source.schema))
    assert lake.height == source.height
    assert content_hash(lake) == content_hash(source)


@pytest.mark.parametrize("point", FAULT_POINTS)
def test_an_error_at_any_step_of_an_append_run_then_a_rerun_loads_the_new_rows_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, point: str
) -> None:
    root = tmp_path / "ws"
    source = prepare(root)
    monkeypatch.setenv("HYGGE_FAULT", f"{point}:raise")
    reset_faults()
    run(root)

    monkeypatch.delenv("HYGGE_FAULT")
    assert run(root).ok
    assert_store_matches(root, source)


@pytest.mark.parametrize("point", FAULT_POINTS)
def test_a_killed_append_run_at_any_step_then_a_rerun_loads_the_new_rows_once(
    tmp_path: Path, point: str
) -> None:
    root = tmp_path / "ws"
    source = prepare(root)
    assert crash(root, point) == CRASH_EXIT_CODE

    assert run(root).ok
    assert_store_matches(root, source)
