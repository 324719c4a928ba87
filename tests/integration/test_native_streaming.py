"""The native streaming path: a file home polars scans into a file store polars sinks moves
each chunk as one lazy query, with the batch path's results exactly (rows, content, watermark,
journal, positions), and the batch path stays for whatever the native path cannot do."""

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
from hygge.stores.file_store import FileStore
from tests.support.data import content_hash, orders
from tests.support.workspace import REPO, land, read_lake, state_of, write_workspace

FLOW = """\
home: {type: parquet, path: landing, batch_size: 4}
store: {type: local, path: lake, format: parquet, batch_size: 5}
run_type: incremental
entities: [orders]
"""
WATERMARKED = FLOW + "watermark: {column: updated_at, key_columns: [id], late_rows: load}\n"
CSV = FLOW.replace("type: parquet, path: landing", "type: local, format: csv, path: landing")
CSV_WATERMARKED = CSV + "watermark: {column: updated_at, key_columns: [id], late_rows: load}\n"
NDJSON = FLOW.replace("type: parquet, path: landing", "type: local, format: ndjson, path: landing")
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

    def counted_sink(self: FileStore, *args: object, **kwargs: object) -> object:
        seen.sinks += 1
        return sink(self, *args, **kwargs)  # type: ignore[arg-type]

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
    """A first run of two files, a second of one more (with rows at or below the watermark)
    and, for csv, lines appended to a loaded file (read from the row its loaded part ends)."""
    fmt = next((f for f in ("csv", "ndjson") if f"format: {f}, path" in flow), "parquet")
    write_workspace(root, {"shop": flow})
    land(root, "orders", "a", orders(12), fmt=fmt)
    b = land(root, "orders", "b", orders(11, start=12), fmt=fmt)
    go(root, project)
    late = orders(3, start=40).with_columns(updated_at=orders(3, start=2)["updated_at"])
    land(root, "orders", "c", pl.concat([orders(7, start=23), late]), fmt=fmt)
    appended = orders(4, start=60)
    with b.open("a") as text:
        if fmt == "csv":
            text.write(appended.write_csv(include_header=False))
        elif fmt == "ndjson":
            text.write(appended.write_ndjson())
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
        (CSV, "name: t\n"),
        (CSV.replace("batch_size: 4", "batch_size: 40"), "name: t\n"),  # files in one batch
        (CSV + POLISHED.removeprefix(FLOW), "name: t\n"),
        (NDJSON, "name: t\n"),
    ],
    ids=[
        "plain",
        "polish",
        "watermark",
        "mid-file chunks",
        "csv",
        "csv batch",
        "csv polish",
        "ndjson",
    ],
)
def test_the_native_path_leaves_what_the_batch_path_leaves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, calls: Calls, flow: str, project: str
) -> None:
    native = two_runs(tmp_path / "native", flow, project)
    # The text file appended to is read by the batch path, from its byte offset.
    text = "format: csv, path" in flow or "format: ndjson, path" in flow
    assert calls.sinks and (text or not calls.writes)
    batch_path_only(monkeypatch)

    batches = two_runs(tmp_path / "batches", flow, project)

    assert calls.writes
    # The batch path's chunks end on a home batch, not at 7; a native text chunk is one file.
    if "checkpoint_rows" in project or text:
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
        FLOW.replace("format: parquet, batch_size: 5", "format: csv, batch_size: 5"),
        FLOW + "polish: {hash_ids: [{name: row_id, from_columns: [id]}]}\n",
        FLOW + "watermark: {column: updated_at, key_columns: [id], lookback: 30m}\n",
    ],
    ids=["csv store", "hash ids", "lookback margin"],
)
def test_the_batch_path_moves_what_the_native_path_cannot(
    tmp_path: Path, calls: Calls, flow: str
) -> None:
    write_workspace(tmp_path, {"shop": flow})
    land(tmp_path, "orders", "a", orders(12))

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


def csv_text(frame: pl.DataFrame) -> str:
    return frame.write_csv()


HEADER_ONLY = {
    "a": csv_text(orders(12)),
    "b": csv_text(orders(0)),
    "c": csv_text(orders(5, start=12)),
}
CRLF = {
    "a": csv_text(orders(12)).replace("\n", "\r\n"),
    "b": csv_text(orders(11, start=12)).replace("\n", "\r\n"),
}
QUOTED_NEWLINES = {
    "a": csv_text(orders(12).with_columns(pl.col("customer") + "\nsecond line")),
    "b": csv_text(orders(11, start=12).with_columns(pl.col("customer") + '\r\n"quoted"\n')),
}


def csv_outcome(root: Path, texts: dict[str, str]) -> dict[str, object]:
    write_workspace(root, {"shop": CSV})
    folder = root / "landing" / "orders"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (folder / f"{name}.csv").write_bytes(text.encode())
    go(root)
    result = outcome(root)
    result.pop("files")  # a native text chunk is one file: its staged files end with it
    return result


@pytest.mark.parametrize(
    "texts",
    [HEADER_ONLY, CRLF, QUOTED_NEWLINES],
    ids=["header-only file", "crlf", "quoted newlines"],
)
def test_a_csv_home_is_sunk_with_what_the_batch_path_leaves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, calls: Calls, texts: dict[str, str]
) -> None:
    native = csv_outcome(tmp_path / "native", texts)
    assert calls.sinks and not calls.writes
    batch_path_only(monkeypatch)

    batches = csv_outcome(tmp_path / "batches", texts)

    assert calls.writes
    assert native == batches and native["rows"] == sum(  # type: ignore[comparison-overlap]
        pl.read_csv(text.encode()).height for text in texts.values()
    )


def test_a_watermarked_csv_home_gets_batches(tmp_path: Path, calls: Calls) -> None:
    # The rows read before the watermark filter would have to be counted up front.
    write_workspace(tmp_path, {"shop": CSV_WATERMARKED})
    land(tmp_path, "orders", "a", orders(12), fmt="csv")

    go(tmp_path)

    assert calls.writes and not calls.sinks
    assert read_lake(tmp_path, "orders").height == 12


def test_a_csv_file_of_many_chunks_is_sunk_a_byte_range_a_chunk(
    tmp_path: Path, calls: Calls
) -> None:
    write_workspace(tmp_path, {"shop": CSV})
    land(tmp_path, "orders", "a", orders(12), fmt="csv")  # about 2 x 5 rows or more
    land(tmp_path, "orders", "b", orders(4, start=12), fmt="csv")
    land(tmp_path, "orders", "c", orders(3, start=16), fmt="csv")

    go(tmp_path, "name: t\noptions: {checkpoint_rows: 5}\n")

    assert calls.writes == 0 and calls.sinks == 5  # a in 5 + 5 + 2, then b, then c
    [row] = state_of(load_workspace(tmp_path)).read_journal()
    assert row.row_count == 19
    assert read_lake(tmp_path, "orders").height == 19


KILLED = """\
import sys
from pathlib import Path
from hygge.config import load_workspace
from hygge.engine.plan import Selection, plan_run
from hygge.engine.runner import chunk_budget, run_plan
from tests.support.workspace import state_of
workspace = load_workspace(Path(sys.argv[1]))
plan = plan_run(workspace, Selection())
run_plan(plan, state_of(workspace), concurrency=1, budget=chunk_budget(workspace))
"""


@pytest.mark.parametrize("fmt", ["csv", "ndjson"])
@pytest.mark.parametrize(
    ("fault", "sunk"),
    [("after_checkpoint:exit:1", 4), ("after_stage:exit:5", 1), ("after_checkpoint:exit:3", 2)],
    ids=["inside the first file", "while the last file is sunk", "after the first file"],
)
def test_a_killed_text_run_resumes_at_its_byte_offset_with_every_row_once(
    tmp_path: Path, calls: Calls, fault: str, sunk: int, fmt: str
) -> None:
    write_workspace(tmp_path, {"shop": CSV if fmt == "csv" else NDJSON})
    land(tmp_path, "orders", "a", orders(12), fmt=fmt)  # ranges of 5 + 5 + 2 rows
    land(tmp_path, "orders", "b", orders(4, start=12), fmt=fmt)
    land(tmp_path, "orders", "c", orders(3, start=16), fmt=fmt)
    project = "name: t\noptions: {checkpoint_rows: 5}\n"
    (tmp_path / "hygge.yml").write_text(project)
    env = {**os.environ, "HYGGE_FAULT": fault}
    command = [sys.executable, "-c", KILLED, str(tmp_path)]
    died = subprocess.run(command, cwd=REPO, env=env, capture_output=True, check=False)
    assert died.returncode == CRASH_EXIT_CODE, died.stderr

    go(tmp_path, project)

    assert calls.sinks == sunk
    lake = read_lake(tmp_path, "orders")
    assert lake.height == 19 and lake["id"].n_unique() == 19
    rows = state_of(load_workspace(tmp_path)).read_journal()
    assert sorted((row.status, row.row_count) for row in rows) == [("fail", 0), ("success", 19)]


def test_a_csv_window_schema_is_inferred_once_for_all_its_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, calls: Calls
) -> None:
    from hygge.homes import file_home

    inferred: list[Path] = []

    def counted(path: Path, *args: object) -> object:
        inferred.append(path)
        return infer(path, *args)  # type: ignore[arg-type]

    infer = file_home.infer_schema
    monkeypatch.setattr(file_home, "infer_schema", counted)
    write_workspace(tmp_path, {"shop": CSV})
    for name, start in (("a", 0), ("b", 3), ("c", 6)):
        land(tmp_path, "orders", name, orders(3, start=start), fmt="csv")

    go(tmp_path, "name: t\noptions: {checkpoint_rows: 3}\n")

    assert calls.sinks == 3  # a chunk a file, each opening the home again
    assert [path.name for path in inferred] == ["a.csv"]


def test_an_ndjson_key_outside_the_schema_fails_as_the_batch_path_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failure(root: Path) -> str | None:
        write_workspace(root, {"shop": NDJSON})
        land(root, "orders", "a", orders(12), fmt="ndjson")
        land(root, "orders", "b", orders(2, start=12).with_columns(extra=pl.lit(1)), fmt="ndjson")
        (root / "hygge.yml").write_text("name: t\n")
        workspace = load_workspace(root)
        report = run_plan(plan_run(workspace, Selection()), state_of(workspace), concurrency=1)
        assert not report.ok
        [row] = state_of(workspace).read_journal()
        return row.message

    native = failure(tmp_path / "native")
    batch_path_only(monkeypatch)
    assert native is not None and "'extra'" in native
    assert native == failure(tmp_path / "batches").replace("batches", "native")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "second",
    [
        "id,customer,amount,updated_at\n13,c,1.0,2024-01-01\n007,c,2.0,2024-01-01\n",
        "id,customer,amount,updated_at\n13,c,1.0,2024-01-01\n14,c,x,2024-01-01\n",
    ],
    ids=["an integer a parse would change", "a value of another type"],
)
def test_a_csv_value_the_window_schema_cannot_read_fails_as_the_batch_path_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, second: str
) -> None:
    def failure(root: Path) -> str | None:
        write_workspace(root, {"shop": CSV})
        land(root, "orders", "a", orders(12), fmt="csv")
        (root / "landing" / "orders" / "b.csv").write_text(second)
        (root / "hygge.yml").write_text("name: t\n")
        workspace = load_workspace(root)
        report = run_plan(plan_run(workspace, Selection()), state_of(workspace), concurrency=1)
        assert not report.ok
        [row] = state_of(workspace).read_journal()
        return row.message

    native = failure(tmp_path / "native")
    batch_path_only(monkeypatch)
    assert native is not None and "b.csv" in native
    assert native == failure(tmp_path / "batches").replace("batches", "native")  # type: ignore[union-attr]


def test_ctrl_c_inside_a_csv_sink_finishes_the_file_then_cancels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from hygge.engine.steps import ChunkBudget
    from tests.integration.test_ctrl_c_mid_write import interrupting
    from tests.support.workspace import run

    write_workspace(tmp_path, {"shop": CSV})
    for name, start, rows in (("a", 0, 30), ("b", 30, 30), ("c", 60, 40)):
        land(tmp_path, "orders", name, orders(rows, start=start), fmt="csv")
    (tmp_path / "hygge.yml").write_text("name: t\n")
    workspace = load_workspace(tmp_path)
    sink = interrupting("sink_parquet", at_call=1, frame=pl.LazyFrame)
    monkeypatch.setattr(pl.LazyFrame, "sink_parquet", sink)
    cancel = threading.Event()

    report = run_plan(
        plan_run(workspace, Selection()),
        state_of(workspace),
        concurrency=1,
        budget=ChunkBudget(max_rows=50),  # a chunk a file: 30 + 30 rows are past it
        cancel=cancel,
    )

    assert report.cancelled and cancel.is_set()
    [result] = report.results
    assert result.rows_kept == 30  # the first file, sunk again whole
    assert not list((tmp_path / "lake" / "_hygge_staging" / "orders").rglob("*.tmp"))
    monkeypatch.undo()
    run(tmp_path)
    lake = read_lake(tmp_path, "orders")
    assert lake.height == 100 and lake["id"].n_unique() == 100
