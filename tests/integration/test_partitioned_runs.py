"""An entity with `parallel: N` moves its window in partitions at once and commits once.

Nothing lost, nothing doubled holds as for one partition: after a run, a crash or an error in
one partition and a rerun, the store equals the source (count and content hash), and each
partition resumes from its own saved position.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from hygge.config import load_workspace
from hygge.engine import Selection, plan_run
from hygge.engine.finish import commit
from hygge.engine.models import Checkpoint
from hygge.engine.runner import RunReport, run_plan
from hygge.engine.steps import ChunkBudget, begin, move_chunk
from hygge.faults import CRASH_EXIT_CODE, FAULT_POINTS, reset_faults
from hygge.homes.base import Position, Window
from hygge.homes.file_home import FileHome
from hygge.homes.scans import ChunkScan
from hygge.stores import LocalStoreConfig
from hygge.types import RunStatus
from tests.integration.test_fault_matrix import assert_store_matches
from tests.support.context import LOCAL
from tests.support.data import orders
from tests.support.step_process import run_in_step_processes
from tests.support.workspace import REPO, land, state_of, write_workspace

FLOW = """\
home: {type: parquet, path: landing, batch_size: 3}
store: {type: local, path: lake, format: %s, batch_size: 4}
run_type: %s
parallel: 3
entities: [orders]
"""
SIZES = [9, 2, 7, 3, 8, 4, 6]  # rows of each landed file: partitions of unequal work
CHUNK_ROWS = 4  # every partition checkpoints several times


def go(root: Path) -> RunReport:
    workspace = load_workspace(root)
    plan = plan_run(workspace, Selection())
    budget = ChunkBudget(max_rows=CHUNK_ROWS)
    return run_plan(plan, state_of(workspace), concurrency=1, budget=budget)


def crash(root: Path, fault: str) -> int:
    """`go` in a child process that dies (os._exit) at `fault` (`point:exit:hit`)."""
    code = (
        "from pathlib import Path; from tests.integration.test_partitioned_runs import go; "
        f"go(Path({str(root)!r}))"
    )
    env = {**os.environ, "HYGGE_FAULT": fault}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, check=False
    )
    return done.returncode


def land_files(root: Path, sizes: list[int], start: int = 0, prefix: str = "a") -> pl.DataFrame:
    frames = []
    for index, rows in enumerate(sizes):
        frame = orders(rows, start=start)
        land(root, "orders", f"{prefix}{index:02d}", frame)
        frames.append(frame)
        start += rows
    return pl.concat(frames)


def saved(root: Path) -> Checkpoint | None:
    raw = state_of(load_workspace(root)).load_checkpoint("shop", "orders")
    return None if raw is None else Checkpoint.model_validate(raw)


def assert_settled(root: Path) -> None:
    """No run open; the file ledger records every landed file."""
    state = state_of(load_workspace(root))
    assert state.load_checkpoint("shop", "orders") is None
    assert state.list_locks() == {}
    watermark = state.get_watermark("shop", "orders")
    assert watermark is not None
    landed = sorted(p.name for p in (root / "landing" / "orders").iterdir())
    assert watermark.files is None  # loaded files live in the file ledger
    assert sorted(state.read_file_ledger("shop", "orders", landed)) == landed


@pytest.mark.parametrize("run_type", ["full_drop", "incremental"])
@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_partitioned_run_and_the_next_leave_the_store_equal_to_the_source(
    tmp_path: Path, fmt: str, run_type: str
) -> None:
    root = write_workspace(tmp_path / "ws", {"shop": FLOW % (fmt, run_type)})
    first = land_files(root, SIZES)

    assert go(root).ok
    assert_store_matches(root, fmt, first)
    more = land_files(root, [5, 1, 6, 2], start=first.height, prefix="b")
    report = go(root)

    assert report.ok, report.results
    assert report.results[0].rows == (
        more.height if run_type == "incremental" else first.height + more.height
    )
    assert_store_matches(root, fmt, pl.concat([first, more]))
    assert_settled(root)


class ReadsSeen:
    """Records where each partition's first read of a run starts."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.first: dict[str, Position] = {}
        real = FileHome.read

        def read(
            home: FileHome, window: Window, position: Position, partition: str = "all"
        ) -> Iterator[tuple[pl.DataFrame, Position]]:
            self.first.setdefault(partition, position)
            return real(home, window, position, partition)

        monkeypatch.setattr(FileHome, "read", read)
        scan = FileHome.scan  # the native path describes a chunk from its position instead

        def scanned(
            home: FileHome,
            window: Window,
            position: Position,
            partition: str = "all",
            max_rows: int | None = None,
            *,
            file_rows: int | None = None,
        ) -> ChunkScan | None:
            self.first.setdefault(partition, position)
            return scan(home, window, position, partition, max_rows, file_rows=file_rows)

        monkeypatch.setattr(FileHome, "scan", scanned)


@pytest.mark.parametrize("run_type", ["full_drop", "incremental"])
@pytest.mark.parametrize("fault", ["after_stage:exit:6", "after_checkpoint:exit:5"])
def test_a_killed_partitioned_run_resumes_each_partition_from_its_own_position(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: str, run_type: str
) -> None:
    root = write_workspace(tmp_path / "ws", {"shop": FLOW % ("parquet", run_type)})
    source = land_files(root, SIZES)

    assert crash(root, fault) == CRASH_EXIT_CODE
    left = saved(root)
    assert left is not None and len(left.partitions) == 3
    assert left.rows > 0 and not left.done
    seen = ReadsSeen(monkeypatch)
    rerun = go(root)

    assert rerun.ok, rerun.results
    assert rerun.results[0].resumed == 1
    for part in left.partitions:
        if part.done:
            assert part.id not in seen.first  # a finished partition is not read again
        else:
            assert seen.first[part.id] == part.position
    assert_store_matches(root, "parquet", source)
    assert_settled(root)


def test_an_error_in_one_partition_then_a_rerun_loads_every_row_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_workspace(tmp_path / "ws", {"shop": FLOW % ("parquet", "incremental")})
    source = land_files(root, SIZES)
    monkeypatch.setenv("HYGGE_FAULT", "after_stage:raise:4")
    reset_faults()

    failed = go(root)  # the other partitions end their chunks, then the run aborts
    monkeypatch.delenv("HYGGE_FAULT")
    rerun = go(root)

    assert failed.results[0].status is RunStatus.FAIL
    assert "injected fault" in (failed.results[0].message or "")
    assert not (root / "lake" / "_hygge_staging").exists()  # the abort left nothing staged
    assert rerun.ok, rerun.results
    assert_store_matches(root, "parquet", source)
    assert_settled(root)


@pytest.mark.parametrize(
    "point", ["after_begin", "after_stage", "after_checkpoint", "after_publish"]
)
def test_a_partitioned_run_step_per_process_survives_a_crash_in_any_step(
    tmp_path: Path, point: str
) -> None:
    root = write_workspace(tmp_path / "ws", {"shop": FLOW % ("parquet", "incremental")})
    source = land_files(root, SIZES)
    [task] = plan_run(load_workspace(root), Selection()).tasks

    crashed = run_in_step_processes(task, root, fault=point)
    finished = run_in_step_processes(task, root)

    assert crashed is None
    assert finished is not None and finished.status is RunStatus.SUCCESS, finished
    assert finished.rows == source.height
    assert_store_matches(root, "parquet", source)
    assert_settled(root)


def test_a_partitioned_run_step_per_process_moves_partitions_in_processes_at_once(
    tmp_path: Path,
) -> None:
    root = write_workspace(tmp_path / "ws", {"shop": FLOW % ("parquet", "full_drop")})
    source = land_files(root, SIZES)
    [task] = plan_run(load_workspace(root), Selection()).tasks

    finished = run_in_step_processes(task, root)

    assert finished is not None and finished.status is RunStatus.SUCCESS
    assert_store_matches(root, "parquet", source)


def test_partitions_of_a_store_without_partitioned_staging_move_one_after_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = LocalStoreConfig.capabilities.model_copy(update={"partitioned_staging": False})
    monkeypatch.setattr(LocalStoreConfig, "capabilities", shared)
    root = write_workspace(tmp_path / "ws", {"shop": FLOW % ("parquet", "full_drop")})
    source = land_files(root, SIZES)
    (task,) = plan_run(load_workspace(root), Selection()).tasks
    state = state_of(load_workspace(root))
    checkpoint = begin(task, state, context=LOCAL)
    moved: list[list[str]] = []

    while not checkpoint.done:
        moved.append(checkpoint.movable)
        checkpoint = move_chunk(
            task, checkpoint, state, budget=ChunkBudget(max_rows=CHUNK_ROWS), context=LOCAL
        )
    commit(task, checkpoint, state, context=LOCAL)

    assert [part.id for part in checkpoint.partitions] == ["p0", "p1", "p2"]
    assert all(part.staging is None for part in checkpoint.partitions)
    assert all(len(ids) == 1 for ids in moved)
    assert [ids[0] for ids in moved] == sorted(ids[0] for ids in moved)  # p0 first, then p1…
    assert_store_matches(root, "parquet", source)


@pytest.mark.parametrize("run_type", ["full_drop", "incremental"])
@pytest.mark.parametrize("point", FAULT_POINTS)
def test_a_partitioned_run_killed_at_any_step_then_rerun_loses_and_doubles_nothing(
    tmp_path: Path, point: str, run_type: str
) -> None:
    root = write_workspace(tmp_path / "ws", {"shop": FLOW % ("csv", run_type)})
    first = land_files(root, SIZES[:3])
    assert go(root).ok
    source = pl.concat([first, land_files(root, SIZES[3:], start=first.height, prefix="b")])
    hit = {"after_stage": 5, "after_checkpoint": 4}.get(point, 1)

    assert crash(root, f"{point}:exit:{hit}") == CRASH_EXIT_CODE
    rerun = go(root)

    assert rerun.ok, rerun.results
    assert_store_matches(root, "csv", source)
    assert_settled(root)
