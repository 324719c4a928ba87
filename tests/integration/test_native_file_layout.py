"""The native path's file layout: with no `batch_size` set anywhere, each chunk is one plain
`sink_parquet` file (a chunk is at most `checkpoint_rows` rows: checkpoint = file); a
`batch_size` set in the store block, the flow's defaults or on the entity keeps its exact rows
per file. Either way every row lands once, through a kill and a resume as well."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from hygge.faults import CRASH_EXIT_CODE
from tests.support.cli import hygge
from tests.support.data import content_hash, orders
from tests.support.workspace import REPO, land, read_lake, write_workspace

PARQUET = """\
home: {type: parquet, path: landing}
store: {type: parquet, path: lake}
run_type: full_drop
entities: [orders]
"""
CSV = PARQUET.replace("type: parquet, path: landing", "type: local, format: csv, path: landing")
TEN_ROWS = "name: t\noptions: {checkpoint_rows: 10}\n"
KILLED = """\
import sys
from pathlib import Path
from hygge.config import load_workspace
from hygge.engine.plan import Selection, plan_run
from hygge.engine.runner import chunk_budget, run_plan
from tests.support.workspace import state_of
workspace = load_workspace(Path(sys.argv[1]))
run_plan(plan_run(workspace, Selection()), state_of(workspace), concurrency=1,
         budget=chunk_budget(workspace))
"""


def lake_files(root: Path) -> list[int]:
    """Each published file's rows, in name (sequence) order."""
    folder = root / "lake" / "orders"
    return [pl.read_parquet(path).height for path in sorted(folder.glob("*.parquet"))]


def landed(root: Path, flow: str, fmt: str = "parquet", project: str = TEN_ROWS) -> None:
    write_workspace(root, {"shop": flow}, project)
    land(root, "orders", "a", orders(12), fmt=fmt)
    land(root, "orders", "b", orders(11, start=12), fmt=fmt)


def go(root: Path) -> None:
    done = hygge(root, "go")
    assert done.returncode == 0, done.stdout + done.stderr


def test_without_a_batch_size_each_chunk_is_one_file(tmp_path: Path) -> None:
    landed(tmp_path, PARQUET)

    go(tmp_path)

    assert lake_files(tmp_path) == [10, 10, 3]  # a's 10; a's 2 + b's 8; b's 3
    assert content_hash(read_lake(tmp_path, "orders")) == content_hash(orders(23))


def test_a_default_chunk_of_small_files_is_one_file(tmp_path: Path) -> None:
    landed(tmp_path, PARQUET, project="name: t\n")  # checkpoint_rows 1,000,000

    go(tmp_path)

    assert lake_files(tmp_path) == [23]
    assert content_hash(read_lake(tmp_path, "orders")) == content_hash(orders(23))


@pytest.mark.parametrize(
    "flow",
    [
        PARQUET.replace("path: lake}", "path: lake, batch_size: 4}"),
        PARQUET + "defaults: {batch_size: 4}\n",
        PARQUET.replace("entities: [orders]", "entities: [{name: orders, batch_size: 4}]"),
    ],
    ids=["store block", "flow defaults", "entity"],
)
def test_an_explicit_batch_size_keeps_its_rows_per_file(tmp_path: Path, flow: str) -> None:
    landed(tmp_path, flow)

    go(tmp_path)

    assert lake_files(tmp_path) == [4, 4, 2, 4, 4, 2, 3]  # each chunk cut at 4 rows
    assert content_hash(read_lake(tmp_path, "orders")) == content_hash(orders(23))


def test_a_csv_home_is_one_file_per_chunk_too(tmp_path: Path) -> None:
    explicit = CSV.replace("path: lake}", "path: lake, batch_size: 2}")
    for root, flow in ((tmp_path / "chunks", CSV), (tmp_path / "explicit", explicit)):
        write_workspace(root, {"shop": flow}, "name: t\noptions: {checkpoint_rows: 5}\n")
        land(root, "orders", "a", orders(12), fmt="csv")  # byte ranges of 5 + 5 + 2 rows
        land(root, "orders", "b", orders(4, start=12), fmt="csv")  # whole, a chunk each
        land(root, "orders", "c", orders(3, start=16), fmt="csv")
        go(root)

    assert lake_files(tmp_path / "chunks") == [5, 5, 2, 4, 3]
    cut = lake_files(tmp_path / "explicit")  # ranges end at a multiple of 2 rows there
    assert max(cut) == 2 and sum(cut) == 19
    lake = read_lake(tmp_path / "chunks", "orders")
    assert content_hash(lake) == content_hash(read_lake(tmp_path / "explicit", "orders"))
    assert sorted(lake["id"]) == list(range(19))


@pytest.mark.parametrize(
    ("fault", "flow", "files"),
    [
        ("after_stage:exit:2", PARQUET, [10, 10, 3]),  # the second chunk's file, not listed
        ("after_checkpoint:exit:2", PARQUET, [10, 10, 3]),  # after the second chunk
        ("after_stage:exit:4", PARQUET + "defaults: {batch_size: 4}\n", [4, 4, 2, 4, 4, 2, 3]),
    ],
    ids=["mid-chunk", "between chunks", "explicit batch_size, mid-chunk"],
)
def test_a_killed_run_resumes_with_every_row_once_in_the_same_layout(
    tmp_path: Path, fault: str, flow: str, files: list[int]
) -> None:
    landed(tmp_path, flow)
    env = {**os.environ, "HYGGE_FAULT": fault}
    command = [sys.executable, "-c", KILLED, str(tmp_path)]
    died = subprocess.run(command, cwd=REPO, env=env, capture_output=True, check=False)
    assert died.returncode == CRASH_EXIT_CODE, died.stderr
    assert lake_files(tmp_path) == []  # a full_drop publishes nothing before its end

    go(tmp_path)

    lake = read_lake(tmp_path, "orders")
    assert lake_files(tmp_path) == files
    assert lake.height == 23 and lake["id"].n_unique() == 23
    assert content_hash(lake) == content_hash(orders(23))
    leftovers = [p.name for p in (tmp_path / "lake").rglob("*") if p.name.startswith(".")]
    assert leftovers == []  # no temporary file of the killed sink stays behind
