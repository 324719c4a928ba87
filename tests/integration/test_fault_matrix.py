"""Nothing lost, nothing doubled: a failure at every step boundary, then a rerun.

Every named fault point (hygge/faults.py) x every file store format x full_drop and
incremental. `raise` fails the step like any error (in process); `exit` kills the process
with os._exit as `kill -9` would (in a subprocess). After the fault, a plain run resumes or
restarts, and the store must equal the source: row count and an order-insensitive content hash.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from hygge.config import load_workspace
from hygge.faults import CRASH_EXIT_CODE, FAULT_POINTS, reset_faults
from hygge.types import RunStatus
from tests.support.data import content_hash, orders
from tests.support.workspace import crash, land, read_lake, run, state_of, write_workspace

FORMATS = ["parquet", "csv", "ndjson"]
RUN_TYPES = ["full_drop", "incremental"]

FLOW = """\
home: {type: parquet, path: landing, batch_size: 4}
store: {type: local, path: lake, format: %s, batch_size: 5}
run_type: %s
entities: [orders]
"""
# The same with a watermark and a lookback margin: the late rows of file c (inside the margin)
# must load once, the rows it repeats from file b must not load twice.
WATERMARKED = FLOW + "watermark: {column: updated_at, key_columns: [id], lookback: 30m}\n"


def prepare(
    root: Path,
    fmt: str,
    run_type: str,
    flow: str = FLOW,
    *,
    project: str = "name: test\n",
    store_connection: str | None = None,
) -> pl.DataFrame:
    """A workspace with one completed run, then new data landed; returns the full source.

    With `store_connection`, the store writes through that connection of `project`."""
    store = fmt if store_connection is None else f"{fmt}, connection: {store_connection}"
    write_workspace(root, {"shop": flow % (store, run_type)}, project)
    land(root, "orders", "a", orders(12))
    assert run(root).ok
    land(root, "orders", "b", orders(11, start=12))
    if "watermark:" in flow:  # WATERMARKED, or it with another store block
        # File c: rows 5-7 of file a again (redelivered: an incremental run must skip them) and
        # two late rows stamped inside the lookback margin (they must load exactly once).
        late = orders(2, start=100).with_columns(updated_at=orders(2, start=9)["updated_at"])
        land(root, "orders", "c", pl.concat([orders(3, start=5), late]))
        if run_type == "incremental":
            return pl.concat([orders(23), late])
        return pl.concat([orders(23), orders(3, start=5), late])
    return orders(23)


def assert_store_matches(root: Path, fmt: str, source: pl.DataFrame) -> None:
    lake = read_lake(root, "orders", fmt).select(source.columns)
    if fmt != "parquet":  # text formats carry no types: compare on the source's types
        lake = lake.with_columns(
            pl.col(name).str.to_datetime(time_unit="us")
            if isinstance(dtype, pl.Datetime) and lake.schema[name] == pl.String
            else pl.col(name).cast(dtype)
            for name, dtype in source.schema.items()
        )
    assert lake.height == source.height
    assert content_hash(lake) == content_hash(source)


def assert_state_is_settled(root: Path, source: pl.DataFrame, flow: str) -> None:
    """No run left open; the watermark covers exactly what the store holds."""
    state = state_of(load_workspace(root))
    assert state.load_checkpoint("shop", "orders") is None
    assert state.list_locks() == {}
    watermark = state.get_watermark("shop", "orders")
    assert watermark is not None
    landed = sorted(p.name for p in (root / "landing" / "orders").iterdir())
    assert watermark.files is None and watermark.file_records is None
    loaded = state.read_file_ledger("shop", "orders", landed)
    assert sorted(loaded) == landed  # each landed file recorded once as loaded
    if flow is WATERMARKED:
        assert watermark.value == source["updated_at"].max().isoformat()  # type: ignore[union-attr]


def assert_journal_tells_the_story(root: Path, interrupted: bool) -> None:
    """Oldest first: the first load, then (if the fault cut a run short) a failed or interrupted
    row, then the success or skip of the run that finished the job."""
    rows = list(reversed(state_of(load_workspace(root)).read_journal()))
    statuses = [row.status for row in rows]
    assert statuses[0] == "success" and statuses[-1] in {"success", "skip"}
    assert ("fail" in statuses) is interrupted, [(r.status, r.message) for r in rows]


@pytest.mark.parametrize("run_type", RUN_TYPES)
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("point", FAULT_POINTS)
def test_an_error_at_any_step_then_a_rerun_leaves_the_store_equal_to_the_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, point: str, fmt: str, run_type: str
) -> None:
    root = tmp_path / "ws"
    source = prepare(root, fmt, run_type)
    monkeypatch.setenv("HYGGE_FAULT", f"{point}:raise")
    reset_faults()

    failed = run(root)

    if point == "after_journal":
        # Published, watermarked and journaled: only the clean-up after it failed.
        assert failed.results[0].status is RunStatus.SUCCESS
    else:
        assert failed.results[0].status is RunStatus.FAIL
        assert "injected fault" in (failed.results[0].message or "")
    monkeypatch.delenv("HYGGE_FAULT")
    rerun = run(root)
    assert rerun.ok, rerun.results
    assert_store_matches(root, fmt, source)
    assert_state_is_settled(root, source, FLOW)
    assert_journal_tells_the_story(root, interrupted=point != "after_journal")


@pytest.mark.parametrize("run_type", RUN_TYPES)
@pytest.mark.parametrize("point", FAULT_POINTS)
def test_with_a_watermark_and_lookback_an_error_at_any_step_loses_and_doubles_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, point: str, run_type: str
) -> None:
    root = tmp_path / "ws"
    source = prepare(root, "parquet", run_type, WATERMARKED)
    monkeypatch.setenv("HYGGE_FAULT", f"{point}:raise")
    reset_faults()
    run(root)

    monkeypatch.delenv("HYGGE_FAULT")
    assert run(root).ok
    assert_store_matches(root, "parquet", source)
    assert_state_is_settled(root, source, WATERMARKED)
    assert_journal_tells_the_story(root, interrupted=point != "after_journal")


@pytest.mark.parametrize("run_type", RUN_TYPES)
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("point", FAULT_POINTS)
def test_a_killed_process_at_any_step_resumes_without_loss_or_duplicates(
    tmp_path: Path, point: str, fmt: str, run_type: str
) -> None:
    root = tmp_path / "ws"
    source = prepare(root, fmt, run_type, WATERMARKED)

    assert crash(root, point) == CRASH_EXIT_CODE

    state = state_of(load_workspace(root))
    assert state.list_locks(), "the dead run's lock is left behind, as after kill -9"
    rerun = run(root)
    assert rerun.ok, rerun.results
    assert_store_matches(root, fmt, source)
    assert_state_is_settled(root, source, WATERMARKED)
    assert_journal_tells_the_story(root, interrupted=point != "after_journal")
