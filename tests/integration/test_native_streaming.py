"""The native streaming path: a file home polars scans into a file store polars sinks moves
each chunk as one lazy query, with the batch path's results exactly (rows, content, watermark,
journal, positions), and the batch path stays for whatever the native path cannot do."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from hygge.config import load_workspace
from hygge.engine import moving
from hygge.engine.plan import Selection, plan_run
from hygge.engine.runner import chunk_budget, run_plan
from hygge.stores.file_store import FileStore
from tests.support.data import content_hash, orders
from tests.support.workspace import land, read_lake, state_of, write_workspace

FLOW = """\
home: {type: parquet, path: landing, batch_size: 4}
store: {type: local, path: lake, format: parquet, batch_size: 5}
run_type: incremental
entities: [orders]
"""
WATERMARKED = FLOW + "watermark: {column: updated_at, key_columns: [id], late_rows: load}\n"
POLISHED = FLOW + (
    "polish: {columns: {case: pascal}, constants: [{name: source_system, value: erp}]}\n"
)


class Calls:
    """How often the store staged a batch (`write`) and a lazy frame (`sink`)."""

    def __init__(self) -> None:
        self.writes = 0
        self.sinks = 0


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Calls]:
    seen, write, sink = Calls(), FileStore.write, FileStore.sink

    def counted_write(self: FileStore, *args: object) -> object:
        seen.writes += 1
        return write(self, *args)  # type: ignore[arg-type]

    def counted_sink(self: FileStore, *args: object) -> object:
        seen.sinks += 1
        return sink(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(FileStore, "write", counted_write)
    monkeypatch.setattr(FileStore, "sink", counted_sink)
    yield seen


def batch_path_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moving, "native_sides", lambda *args: None)


def go(root: Path, project: str = "name: t\n") -> None:
    (root / "hygge.yml").write_text(project)
    workspace = load_workspace(root)
    plan = plan_run(workspace, Selection())
    report = run_plan(plan, state_of(workspace), concurrency=1, budget=chunk_budget(workspace))
    assert report.ok, report


def outcome(root: Path) -> dict[str, object]:
    """What a run leaves: the lake's rows and content, the watermark, the journal's counts."""
    lake = read_lake(root, "orders")
    state = state_of(load_workspace(root))
    watermark = state.get_watermark("shop", "orders")
    journal = [(r.status, r.row_count, r.watermark, r.files) for r in state.read_journal()]
    folder = root / "lake" / "orders"
    files = sorted(pl.read_parquet(p).height for p in folder.glob("*.parquet"))
    return {
        "rows": lake.height,
        "hash": content_hash(lake) if lake.height else None,
        "columns": lake.columns,
        "watermark": None if watermark is None else watermark.value,
        "journal": sorted(journal, key=str),
        "files": files,
    }


def two_runs(root: Path, flow: str, project: str = "name: t\n") -> dict[str, object]:
    """A first run of two files, a second of one more (with rows at or below the watermark)."""
    write_workspace(root, {"shop": flow})
    land(root, "orders", "a", orders(12))
    land(root, "orders", "b", orders(11, start=12))
    go(root, project)
    late = orders(3, start=40).with_columns(updated_at=orders(3, start=2)["updated_at"])
    land(root, "orders", "c", pl.concat([orders(7, start=23), late]))
    go(root, project)
    return outcome(root)


def test_a_parquet_home_into_a_parquet_lake_is_sunk_without_batches(
    tmp_path: Path, calls: Calls
) -> None:
    write_workspace(tmp_path, {"shop": FLOW})
    land(tmp_path, "orders", "a", orders(12))
    land(tmp_path, "orders", "b", orders(11, start=12))

    go(tmp_path)

    assert calls.sinks == 1 and calls.writes == 0
    lake = read_lake(tmp_path, "orders")
    assert content_hash(lake) == content_hash(orders(23))
    sizes = [
        pl.read_parquet(f).height for f in sorted((tmp_path / "lake" / "orders").glob("*.parquet"))
    ]
    assert sizes == [5, 5, 5, 5, 3]  # the store's batch_size, as the batch path writes them


@pytest.mark.parametrize(
    ("flow", "project"),
    [
        (FLOW, "name: t\n"),
        (POLISHED, "name: t\n"),
        (WATERMARKED, "name: t\n"),
        (WATERMARKED, "name: t\noptions: {checkpoint_rows: 7}\n"),  # chunks end mid-file
    ],
    ids=["plain", "polish", "watermark", "mid-file chunks"],
)
def test_the_native_path_leaves_what_the_batch_path_leaves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, calls: Calls, flow: str, project: str
) -> None:
    native = two_runs(tmp_path / "native", flow, project)
    assert calls.sinks and not calls.writes
    batch_path_only(monkeypatch)

    batches = two_runs(tmp_path / "batches", flow, project)

    assert calls.writes
    if "checkpoint_rows" in project:  # the batch path's chunks end on a home batch, not at 7
        native_files, batch_files = native.pop("files"), batches.pop("files")
        assert sum(native_files) == sum(batch_files)  # type: ignore[call-overload]
    assert native == batches


def test_a_run_checkpointed_every_few_rows_resumes_chunks_inside_files(
    tmp_path: Path, calls: Calls
) -> None:
    write_workspace(tmp_path, {"shop": FLOW})
    land(tmp_path, "orders", "a", orders(12))
    land(tmp_path, "orders", "b", orders(11, start=12))

    go(tmp_path, "name: t\noptions: {checkpoint_rows: 5}\n")

    assert calls.sinks == 5 and calls.writes == 0  # 5 + 5 + (2 + 3) + 5 + 3
    [row] = state_of(load_workspace(tmp_path)).read_journal()
    assert row.row_count == 23 and row.chunks is not None and row.chunks >= 5
    assert content_hash(read_lake(tmp_path, "orders")) == content_hash(orders(23))


@pytest.mark.parametrize(
    "flow",
    [
        FLOW.replace("type: parquet, path: landing", "type: local, format: csv, path: landing"),
        FLOW.replace("format: parquet, batch_size: 5", "format: csv, batch_size: 5"),
        FLOW + "polish: {hash_ids: [{name: row_id, from_columns: [id]}]}\n",
        FLOW + "watermark: {column: updated_at, key_columns: [id], lookback: 30m}\n",
    ],
    ids=["csv home", "csv store", "hash ids", "lookback margin"],
)
def test_the_batch_path_moves_what_the_native_path_cannot(
    tmp_path: Path, calls: Calls, flow: str
) -> None:
    write_workspace(tmp_path, {"shop": flow})
    fmt = "csv" if "format: csv, path" in flow else "parquet"
    land(tmp_path, "orders", "a", orders(12), fmt=fmt)

    go(tmp_path)

    assert calls.writes and not calls.sinks


def test_a_store_without_the_sink_capability_gets_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, calls: Calls
) -> None:
    from hygge.stores.files import LocalStoreConfig

    plain = LocalStoreConfig.capabilities.model_copy(update={"lazy_sink": False})
    monkeypatch.setattr(LocalStoreConfig, "capabilities", plain)
    write_workspace(tmp_path, {"shop": FLOW})
    land(tmp_path, "orders", "a", orders(12))

    go(tmp_path)

    assert calls.writes and not calls.sinks
    assert content_hash(read_lake(tmp_path, "orders")) == content_hash(orders(12))


def test_a_type_change_between_files_fails_as_the_batch_path_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failure(root: Path) -> str | None:
        write_workspace(root, {"shop": FLOW})
        land(root, "orders", "a", orders(12))
        land(root, "orders", "b", orders(3, start=12).with_columns(pl.col("amount").round(0)))
        land(root, "orders", "c", orders(3, start=15).with_columns(amount=pl.lit("x")))
        (root / "hygge.yml").write_text("name: t\n")
        workspace = load_workspace(root)
        report = run_plan(plan_run(workspace, Selection()), state_of(workspace), concurrency=1)
        assert not report.ok
        [row] = state_of(workspace).read_journal()
        return row.message

    native = failure(tmp_path / "native")
    batch_path_only(monkeypatch)
    assert native is not None and "amount" in native
    assert native == failure(tmp_path / "batches").replace("batches", "native")  # type: ignore[union-attr]
