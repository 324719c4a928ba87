"""Native csv/ndjson chunks of several whole files: one sink for as many files as keep the
chunk within `checkpoint_rows`, each file's rows counted, so the file ledger, positions,
resume after a kill and the next run's appended rows are exactly the batch path's."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from hygge.config import load_workspace
from hygge.engine import moving
from hygge.engine.plan import Selection, plan_run
from hygge.engine.runner import chunk_budget, run_plan
from hygge.faults import CRASH_EXIT_CODE
from hygge.homes import file_scan
from hygge.stores.file_store import FileStore
from tests.support.data import content_hash, orders
from tests.support.workspace import REPO, land, read_lake, state_of, write_workspace

CSV = """\
home: {type: local, format: csv, path: landing, batch_size: 4}
store: {type: local, path: lake, format: parquet, batch_size: 5}
run_type: incremental
entities: [orders]
"""
NDJSON = CSV.replace("format: csv", "format: ndjson")
EIGHT_ROWS = "name: t\noptions: {checkpoint_rows: 8}\n"  # two files of 4 rows a chunk
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


@pytest.fixture
def sinks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The rows of each lazy frame the store sank, in order."""
    seen: list[int] = []
    sink = FileStore.sink

    def counted(
        self: FileStore, staging: object, frame: pl.LazyFrame, on_file: object, **kw: object
    ) -> object:
        rows = 0

        def each(count: int) -> None:
            nonlocal rows
            rows += count
            on_file(count)  # type: ignore[operator]

        try:
            return sink(self, staging, frame, each, **kw)  # type: ignore[arg-type]
        finally:
            seen.append(rows)

    monkeypatch.setattr(FileStore, "sink", counted)
    yield seen


def go(root: Path, project: str = "name: t\n") -> None:
    (root / "hygge.yml").write_text(project)
    workspace = load_workspace(root)
    plan = plan_run(workspace, Selection())
    report = run_plan(plan, state_of(workspace), concurrency=1, budget=chunk_budget(workspace))
    assert report.ok, report


def ledger(root: Path) -> dict[str, tuple[int, int, bool]]:
    """Each landed file's (rows, size, whole lines) as the file ledger records them."""
    names = sorted(p.name for p in (root / "landing" / "orders").iterdir())
    state = state_of(load_workspace(root))
    records = state.read_file_ledger("shop", "orders", names)
    return {path: (r.rows, r.size, r.whole_lines) for path, r in sorted(records.items())}


def land_six(root: Path, fmt: str = "csv") -> None:
    """Six files of 4 rows (ids 0-23), a header-only one and an empty one among them."""
    for n in range(6):
        land(root, "orders", f"f{n}", orders(4, start=4 * n), fmt=fmt)
    land(root, "orders", "f2-header", orders(0), fmt=fmt)
    (root / "landing" / "orders" / f"f3-empty.{fmt}").write_bytes(b"")


@pytest.mark.parametrize("fmt", ["csv", "ndjson"])
def test_small_text_files_are_sunk_in_one_chunk_with_each_files_rows_in_the_ledger(
    tmp_path: Path, sinks: list[int], fmt: str
) -> None:
    write_workspace(tmp_path, {"shop": CSV if fmt == "csv" else NDJSON})
    land_six(tmp_path, fmt)

    go(tmp_path)

    assert sinks == [24]
    assert sorted(read_lake(tmp_path, "orders")["id"]) == list(range(24))
    rows = {path: count for path, (count, _, _) in ledger(tmp_path).items()}
    assert rows == {f"f{n}.{fmt}": 4 for n in range(6)} | {
        f"f2-header.{fmt}": 0,
        f"f3-empty.{fmt}": 0,
    }


def test_chunks_of_text_files_end_within_checkpoint_rows(tmp_path: Path, sinks: list[int]) -> None:
    write_workspace(tmp_path, {"shop": CSV})
    land_six(tmp_path)

    go(tmp_path, EIGHT_ROWS)

    assert sinks == [8, 8, 8]
    [row] = state_of(load_workspace(tmp_path)).read_journal()
    assert row.row_count == 24 and row.chunks == 3


@pytest.mark.parametrize("project", ["name: t\n", EIGHT_ROWS], ids=["one chunk", "chunks"])
def test_the_ledger_after_many_file_chunks_is_the_batch_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sinks: list[int], project: str
) -> None:
    quoted = orders(4, start=100).with_columns(pl.col("customer") + '\n"second" line')
    crlf = orders(4, start=200).write_csv().replace("\n", "\r\n")

    def leaves(root: Path) -> tuple[object, ...]:
        write_workspace(root, {"shop": CSV})
        land_six(root)
        land(root, "orders", "f1-quoted", quoted, fmt="csv")
        (root / "landing" / "orders" / "f4-crlf.csv").write_bytes(crlf.encode())
        go(root, project)
        lake = read_lake(root, "orders")
        return lake.height, content_hash(lake), ledger(root)

    native = leaves(tmp_path / "native")
    assert sinks
    monkeypatch.setattr(moving, "native_sides", lambda *args: None)

    assert native == leaves(tmp_path / "batches")
    assert native[0] == 32


def test_a_file_appended_after_a_many_file_chunk_gives_only_its_new_rows(
    tmp_path: Path, sinks: list[int]
) -> None:
    write_workspace(tmp_path, {"shop": CSV})
    land_six(tmp_path)
    go(tmp_path)
    with (tmp_path / "landing" / "orders" / "f2.csv").open("a") as text:
        text.write(orders(3, start=50).write_csv(include_header=False))
    land(tmp_path, "orders", "f9", orders(2, start=60), fmt="csv")

    go(tmp_path)

    lake = read_lake(tmp_path, "orders")
    assert lake.height == 29 and lake["id"].n_unique() == 29
    assert ledger(tmp_path)["f2.csv"][0] == 7
    journal = state_of(load_workspace(tmp_path)).read_journal()
    assert sorted(r.row_count for r in journal) == [5, 24]


@pytest.mark.parametrize(
    ("fault", "redone"),
    [
        ("after_stage:exit:1", [8, 8, 8]),  # inside the first chunk: all of it again
        ("after_checkpoint:exit:1", [8, 8]),  # between two chunks: the first is kept
        ("after_stage:exit:3", [8, 8]),  # inside the second chunk, after its first file
    ],
    ids=["inside the first chunk", "between chunks", "inside the second chunk"],
)
def test_a_killed_run_of_many_file_chunks_resumes_with_every_row_once(
    tmp_path: Path, sinks: list[int], fault: str, redone: list[int]
) -> None:
    write_workspace(tmp_path, {"shop": CSV})
    land_six(tmp_path)
    (tmp_path / "hygge.yml").write_text(EIGHT_ROWS)
    env = {**os.environ, "HYGGE_FAULT": fault}
    command = [sys.executable, "-c", KILLED, str(tmp_path)]
    died = subprocess.run(command, cwd=REPO, env=env, capture_output=True, check=False)
    assert died.returncode == CRASH_EXIT_CODE, died.stderr

    go(tmp_path, EIGHT_ROWS)

    assert sinks == redone
    lake = read_lake(tmp_path, "orders")
    assert lake.height == 24 and sorted(lake["id"]) == list(range(24))
    assert {count for count, _, _ in ledger(tmp_path).values()} == {0, 4}
    rows = state_of(load_workspace(tmp_path)).read_journal()
    assert sorted((row.status, row.row_count) for row in rows) == [("fail", 0), ("success", 24)]


def test_a_count_the_scan_disagrees_with_fails_the_run_and_publishes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counts = file_scan._counts
    monkeypatch.setattr(file_scan, "_counts", lambda frames: [n + 1 for n in counts(frames)])
    write_workspace(tmp_path, {"shop": CSV})
    land_six(tmp_path)
    (tmp_path / "hygge.yml").write_text("name: t\n")
    workspace = load_workspace(tmp_path)

    report = run_plan(plan_run(workspace, Selection()), state_of(workspace), concurrency=1)

    assert not report.ok
    [row] = state_of(workspace).read_journal()
    assert row.message is not None and "counted at 31 rows but 24 were read" in row.message
    assert read_lake(tmp_path, "orders").height == 0
    assert state_of(workspace).get_watermark("shop", "orders") is None


def test_an_appended_file_ends_a_chunk_and_is_read_from_its_loaded_part(
    tmp_path: Path, sinks: list[int]
) -> None:
    write_workspace(tmp_path, {"shop": CSV})
    land(tmp_path, "orders", "a", orders(4), fmt="csv")
    go(tmp_path)
    for name, start in (("0b", 10), ("0d", 30)):  # before a in the window
        land(tmp_path, "orders", name, orders(4, start=start), fmt="csv")
    with (tmp_path / "landing" / "orders" / "a.csv").open("a") as text:
        text.write(orders(2, start=20).write_csv(include_header=False))

    go(tmp_path)

    # 0b and 0d are one sink; a's two new rows another, a range from their byte offset.
    assert sinks == [4, 8, 2]
    lake = read_lake(tmp_path, "orders")
    assert lake.height == 14 and lake["id"].n_unique() == 14
    assert ledger(tmp_path) == {
        "a.csv": (6, (tmp_path / "landing/orders/a.csv").stat().st_size, True),
        "0b.csv": (4, (tmp_path / "landing/orders/0b.csv").stat().st_size, True),
        "0d.csv": (4, (tmp_path / "landing/orders/0d.csv").stat().st_size, True),
    }


@pytest.mark.parametrize(
    ("second", "fails"),
    [
        ("customer,id,amount,updated_at\nc,13,1.5,2024-01-02\n", False),
        ("id,customer,amount,updated_at,extra\n13,c,1.5,2024-01-02,x\n", True),
        ("id,customer\n13,c\n", True),
    ],
    ids=["columns in another order", "a column more", "columns missing"],
)
def test_a_later_file_with_another_header_reads_as_the_batch_path_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, second: str, fails: bool
) -> None:
    def outcome(root: Path) -> tuple[object, ...]:
        write_workspace(root, {"shop": CSV})
        land(root, "orders", "a", orders(12), fmt="csv")
        (root / "landing" / "orders" / "b.csv").write_text(second)
        (root / "hygge.yml").write_text("name: t\n")
        workspace = load_workspace(root)
        report = run_plan(plan_run(workspace, Selection()), state_of(workspace), concurrency=1)
        [row] = state_of(workspace).read_journal()
        lake = read_lake(root, "orders")
        message = (row.message or "").replace(str(root), "ROOT")
        return report.ok, message, lake.height, content_hash(lake) if lake.height else None

    native = outcome(tmp_path / "native")
    monkeypatch.setattr(moving, "native_sides", lambda *args: None)

    assert native == outcome(tmp_path / "batches")
    assert native[0] is not fails and (not fails or "b.csv" in str(native[1]))


def test_ctrl_c_while_a_chunks_files_are_counted_cancels_before_anything_is_staged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from hygge.engine.steps import ChunkBudget
    from tests.support.workspace import run

    counts, calls = file_scan._counts, []

    def interrupted(frames: list[pl.LazyFrame]) -> list[int]:
        calls.append(len(frames))
        if len(calls) == 2:
            raise KeyboardInterrupt  # as polars raises a Ctrl-C it answers in its own call
        return counts(frames)

    monkeypatch.setattr(file_scan, "_counts", interrupted)
    write_workspace(tmp_path, {"shop": CSV})
    land_six(tmp_path)
    (tmp_path / "hygge.yml").write_text("name: t\n")
    workspace = load_workspace(tmp_path)
    cancel = threading.Event()

    report = run_plan(
        plan_run(workspace, Selection()),
        state_of(workspace),
        concurrency=1,
        budget=ChunkBudget(max_rows=8),
        cancel=cancel,
    )

    assert report.cancelled and cancel.is_set()
    [result] = report.results
    assert result.rows_kept == 8  # the first chunk; the second was being counted
    monkeypatch.undo()
    run(tmp_path)
    lake = read_lake(tmp_path, "orders")
    assert lake.height == 24 and sorted(lake["id"]) == list(range(24))
