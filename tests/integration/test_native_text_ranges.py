"""A large csv/ndjson file on the native path: sunk a byte range of whole rows a chunk, each
range checkpointed at its byte offset, so the lake, the file ledger and the journal are the
batch path's; a run killed inside a range redoes only that range, and a file appended to is
read natively from where its loaded part ends."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from hygge.config import load_workspace
from hygge.engine import moving
from hygge.engine.plan import Selection, plan_run
from hygge.engine.runner import run_plan
from hygge.faults import CRASH_EXIT_CODE
from hygge.homes import file_scan
from tests.integration import test_native_text_chunks as text_chunks
from tests.integration.test_native_text_chunks import KILLED, go, ledger
from tests.support.data import content_hash, orders
from tests.support.workspace import REPO, land, read_lake, state_of, write_workspace

FLOW = """\
home: {type: local, format: csv, path: landing, batch_size: 4}
store: {type: local, path: lake, format: parquet, batch_size: 3}
run_type: incremental
entities: [orders]
"""
SIX_ROWS = "name: t\noptions: {checkpoint_rows: 6}\n"  # a 20-row file: ranges of 6, 6, 6, 2
sinks = text_chunks.sinks  # the rows of each lazy frame the store sank, in order


def flow(fmt: str) -> str:
    return FLOW.replace("format: csv", f"format: {fmt}")


def lake_files(root: Path) -> list[int]:
    return sorted(pl.read_parquet(p).height for p in (root / "lake" / "orders").glob("*.parquet"))


def leaves(root: Path, fmt: str, project: str) -> tuple[object, ...]:
    """A run over a quoted-newline file, a CRLF one and one whose header is in another order."""
    write_workspace(root, {"shop": flow(fmt)})
    quoted = orders(9, start=0).with_columns(pl.col("customer") + '\n"second" line')
    land(root, "orders", "a", quoted, fmt=fmt)
    land(root, "orders", "b", orders(11, start=100), fmt=fmt)
    if fmt == "csv":
        crlf = orders(7, start=200).write_csv().replace("\n", "\r\n")
        (root / "landing" / "orders" / "c.csv").write_bytes(crlf.encode())
        reordered = orders(14, start=300).select("customer", "updated_at", "id", "amount")
        land(root, "orders", "d", reordered, fmt=fmt)
    go(root, project)
    lake = read_lake(root, "orders")
    return lake.height, content_hash(lake.sort("id")), ledger(root)


@pytest.mark.parametrize("fmt", ["csv", "ndjson"])
@pytest.mark.parametrize(
    "project", [SIX_ROWS, "name: t\n"], ids=["ranges by rows", "ranges by bytes"]
)
def test_a_file_sunk_in_ranges_leaves_what_the_batch_path_leaves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sinks: list[int], fmt: str, project: str
) -> None:
    monkeypatch.setattr(file_scan, "WHOLE_BYTES", 400)  # a file past it is cut (~6-9 rows)

    native = leaves(tmp_path / "native", fmt, project)
    assert len(sinks) > (4 if fmt == "csv" else 2)  # more than a sink a file
    monkeypatch.setattr(moving, "native_sides", lambda *args: None)

    assert native == leaves(tmp_path / "batches", fmt, project)
    assert native[0] == (41 if fmt == "csv" else 20)


def test_ranges_end_at_multiples_of_the_stores_rows_per_file(
    tmp_path: Path, sinks: list[int]
) -> None:
    write_workspace(tmp_path, {"shop": FLOW})
    land(tmp_path, "orders", "a", orders(20), fmt="csv")

    go(tmp_path, SIX_ROWS)

    assert sinks == [6, 6, 6, 2]
    assert lake_files(tmp_path) == [2, 3, 3, 3, 3, 3, 3]
    [row] = state_of(load_workspace(tmp_path)).read_journal()
    assert row.row_count == 20 and row.chunks == 4


@pytest.mark.parametrize("fmt", ["csv", "ndjson"])
@pytest.mark.parametrize(
    ("fault", "redone"),
    [
        ("after_stage:exit:3", [6, 6, 2]),  # inside the second range, after its first file
        ("after_stage:exit:4", [6, 6, 2]),  # the second range staged, not checkpointed
        ("after_checkpoint:exit:2", [6, 2]),  # between the second range and the third
        ("after_stage:exit:7", [2]),  # inside the last range
    ],
    ids=["inside a range", "before its checkpoint", "between ranges", "inside the last"],
)
def test_a_run_killed_inside_a_range_redoes_only_that_range(
    tmp_path: Path, sinks: list[int], fmt: str, fault: str, redone: list[int]
) -> None:
    write_workspace(tmp_path, {"shop": flow(fmt)})
    land(tmp_path, "orders", "a", orders(20), fmt=fmt)
    (tmp_path / "hygge.yml").write_text(SIX_ROWS)
    env = {**os.environ, "HYGGE_FAULT": fault}
    command = [sys.executable, "-c", KILLED, str(tmp_path)]
    died = subprocess.run(command, cwd=REPO, env=env, capture_output=True, check=False)
    assert died.returncode == CRASH_EXIT_CODE, died.stderr

    go(tmp_path, SIX_ROWS)

    assert sinks == redone
    lake = read_lake(tmp_path, "orders")
    assert lake.height == 20 and sorted(lake["id"]) == list(range(20))
    assert [count for count, _, _ in ledger(tmp_path).values()] == [20]
    rows = state_of(load_workspace(tmp_path)).read_journal()
    assert sorted((row.status, row.row_count) for row in rows) == [("fail", 0), ("success", 20)]


def test_a_large_file_appended_to_is_sunk_in_ranges_from_its_loaded_part(
    tmp_path: Path, sinks: list[int]
) -> None:
    write_workspace(tmp_path, {"shop": FLOW})
    path = land(tmp_path, "orders", "a", orders(5), fmt="csv")
    go(tmp_path, SIX_ROWS)
    with path.open("a") as text:
        text.write(orders(14, start=5).write_csv(include_header=False))

    go(tmp_path, SIX_ROWS)

    assert sinks == [5, 6, 6, 2]
    lake = read_lake(tmp_path, "orders")
    assert lake.height == 19 and sorted(lake["id"]) == list(range(19))
    assert ledger(tmp_path)["a.csv"] == (19, path.stat().st_size, True)


def test_a_value_the_integer_checks_refuse_in_a_later_range_fails_as_the_batch_path_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sinks: list[int]
) -> None:
    def failure(root: Path) -> str | None:
        write_workspace(root, {"shop": FLOW})
        text = orders(16).write_csv().replace("\n14,", "\n014,")
        (root / "landing" / "orders").mkdir(parents=True)
        (root / "landing" / "orders" / "a.csv").write_text(text)
        (root / "hygge.yml").write_text(SIX_ROWS)
        workspace = load_workspace(root)
        report = run_plan(plan_run(workspace, Selection()), state_of(workspace), concurrency=1)
        assert not report.ok
        [row] = state_of(workspace).read_journal()
        return row.message

    monkeypatch.setattr(file_scan, "WHOLE_BYTES", 300)
    native = failure(tmp_path / "native")
    assert sinks  # the ranges before it were sunk
    monkeypatch.setattr(moving, "native_sides", lambda *args: None)

    assert native is not None and "'014'" in native
    assert native == failure(tmp_path / "batches").replace("batches", "native")  # type: ignore[union-attr]


def test_a_large_file_whose_rows_the_cutter_cannot_follow_is_sunk_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sinks: list[int]
) -> None:
    monkeypatch.setattr(file_scan, "WHOLE_BYTES", 100)
    commented = FLOW.replace(
        "batch_size: 4}", "batch_size: 4, format_options: {comment_prefix: '#'}}"
    )
    write_workspace(tmp_path, {"shop": commented})
    text = orders(12).write_csv().replace("\n5,", "\n# a comment\n5,")
    (tmp_path / "landing" / "orders").mkdir(parents=True)
    (tmp_path / "landing" / "orders" / "a.csv").write_text(text)

    go(tmp_path)

    assert sinks == [12]  # past WHOLE_BYTES, but its rows are not cut: one scan of the file
    assert sorted(read_lake(tmp_path, "orders")["id"]) == list(range(12))
