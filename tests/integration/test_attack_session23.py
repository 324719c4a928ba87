"""Session 23's changes attacked as a careless user would: quantile partitions on odd keys
(all NULL, one value, negatives, zoned timestamps), the parquet footer count cache after an
in-place rewrite of the same size and mtime, cancel markers that are garbage."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hygge.io.parquet_footer import footer_row_count
from hygge.types import RunType
from tests.support.data import content_hash
from tests.support.sql_sources import write_duckdb, write_postgres, write_sqlite
from tests.support.workspace import read_lake, run, write_workspace

ROWS = 3_000


def _odd_keys() -> pl.DataFrame:
    ids = pl.int_range(1, ROWS + 1, eager=True, dtype=pl.Int64)
    return pl.DataFrame({"id": ids}).with_columns(
        nothing=pl.lit(None, dtype=pl.Int64),
        one=pl.lit(7, dtype=pl.Int64),
        negative=(pl.col("id") * -13 + 5_000).cast(pl.Int64),
        zoned=pl.datetime(2026, 1, 1, time_zone="UTC") + pl.duration(minutes=pl.col("id")),
    )


def _workspace(root: Path, home: str, settings: str, project: str) -> Path:
    flow = f"home: {home}, {settings}}}\nstore: {{type: parquet, path: lake}}\n"
    return write_workspace(root, {"shop": flow + "entities: [orders]\n"}, project)


ODD_KEYS = ("nothing", "one", "negative")
PG = pytest.mark.postgres


@pytest.mark.parametrize(  # sqlite keeps timestamps as text, which partitions refuse
    ("kind", "column"),
    [(kind, column) for kind in ("sqlite", "duckdb") for column in ODD_KEYS]
    + [("duckdb", "zoned")]
    + [pytest.param("postgres", column, marks=PG) for column in (*ODD_KEYS, "zoned")],
)
def test_quantile_partitions_on_odd_keys_land_every_row_once(request, tmp_path, kind, column):
    frame = _odd_keys()
    if kind == "sqlite":
        frame = frame.drop("zoned")
    project = "name: test\noptions: {checkpoint_rows: 500}\n"
    if kind == "postgres":
        postgres, schema = request.getfixturevalue("postgres"), request.getfixturevalue("pg_schema")
        request.getfixturevalue("monkeypatch").setenv("HYGGE_TEST_PG_PASSWORD", postgres.password)
        write_postgres(postgres.conninfo, f'"{schema}"."orders"', frame)
        home = f"{{type: postgres, connection: pg, table: '{schema}.orders', batch_size: 300"
        project += (
            f'connections:\n  pg: {{type: postgres, url: "{postgres.url}", '
            'password: "${HYGGE_TEST_PG_PASSWORD}"}\n'
        )
    else:
        path = tmp_path / f"shop.{kind}"
        (write_sqlite if kind == "sqlite" else write_duckdb)(path, "orders", frame)
        home = f"{{type: {kind}, path: {path}, table: orders, batch_size: 300"
    settings = f"partitions: 5, partition_column: {column}, partition_strategy: quantile"
    root = _workspace(tmp_path / "ws", home, settings, project)
    report = run(root)
    assert report.ok, report.results
    assert report.results[0].rows == ROWS
    lake = read_lake(root, "orders").sort("id")
    assert lake["id"].to_list() == frame["id"].to_list()  # every row, once
    assert content_hash(lake.select("id", "negative")) == content_hash(
        frame.select("id", "negative")
    )


def _same_size_parquets(path_a: Path, path_b: Path) -> None:
    """Two parquet files of the same byte size and other row counts (metadata padding)."""

    def write(path: Path, rows: int, pad: int) -> int:
        table = pa.table({"x": ["x" * pad] + [""] * (rows - 1)})
        pq.write_table(
            table, path, compression="none", use_dictionary=False, write_statistics=False
        )
        return path.stat().st_size

    size_a = write(path_a, 3, 400)
    pad = 400
    for _ in range(20):
        gap = size_a - write(path_b, 5, pad)
        if gap == 0:
            break
        pad += gap
    assert path_a.stat().st_size == path_b.stat().st_size


def test_a_parquet_rewritten_in_place_with_same_size_and_mtime_is_counted_again(tmp_path):
    home, other = tmp_path / "a.parquet", tmp_path / "b.parquet"
    _same_size_parquets(home, other)
    before = home.stat()
    assert footer_row_count(home) == 3
    data = other.read_bytes()
    with home.open("r+b") as file:  # the same inode, the same size
        file.write(data)
    os.utime(home, ns=(before.st_atime_ns, before.st_mtime_ns))  # touch -r
    assert home.stat().st_mtime_ns == before.st_mtime_ns
    assert footer_row_count(home) == 5


def test_a_parquet_replaced_by_another_with_same_size_and_mtime_is_counted_again(tmp_path):
    home, other = tmp_path / "a.parquet", tmp_path / "b.parquet"
    _same_size_parquets(home, other)
    before = home.stat()
    assert footer_row_count(home) == 3
    os.utime(other, ns=(before.st_atime_ns, before.st_mtime_ns))
    home.unlink()
    other.replace(home)  # a new inode (or the old one reused)
    assert footer_row_count(home) == 5


def test_parquet_counts_hold_for_a_zoned_timestamp_column(tmp_path):
    frame = _odd_keys().select("id", "zoned")
    frame.write_parquet(tmp_path / "z.parquet")
    assert footer_row_count(tmp_path / "z.parquet") == ROWS


@pytest.fixture
def marker_storage(monkeypatch):
    """The cancel markers' container as memory (the activities' own reads)."""
    from hygge.config.source import StorageWorkspaceSource
    from hygge.functions import cancel_marker
    from hygge.storage.memory import MemoryStorage

    source = StorageWorkspaceSource(MemoryStorage(), "ws")
    monkeypatch.setattr(cancel_marker, "_source", lambda workspace, env: source)
    return source


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfe not json",
        b"[]",
        b"null",
        b'{"requested_at": 5}',
        b'{"requested_at": "yesterday"}',
        b"[" * 200_000,  # nested past the parser's recursion limit
        b'{"requested_at": "2026-12-01T02:00:00Z", "pad": "' + b"x" * (8 << 20) + b'"}',
    ],
    ids=["binary", "list", "null", "number", "text", "deep", "huge"],
)
def test_a_garbage_cancel_marker_counts_as_none_and_never_raises(marker_storage, body):
    from hygge.functions.cancel_marker import cancel_requested, clear_markers, marker_key

    key = marker_key(marker_storage.prefix, "hygge-run-x")
    marker_storage.storage.put(key, body)
    since = "2026-12-01T02:00:00Z"
    assert cancel_requested("az://x/ws", "hygge-run-x", since=since) is False
    assert clear_markers("az://x/ws", "hygge-run-x") == 1  # the summary still removes it
    assert marker_storage.storage.stat(key) is None


def test_a_cancel_twice_and_a_cancel_of_a_reused_id_before_its_run(marker_storage):
    from hygge.functions.cancel_marker import cancel_requested, write_marker

    write_marker("az://x/ws", "hygge-landing-orders")
    write_marker("az://x/ws", "hygge-landing-orders")  # twice: one marker, still cancelled
    now = dt.datetime.now(dt.UTC)
    assert cancel_requested("az://x/ws", "hygge-landing-orders", since=now.isoformat()) is False
    earlier = (now - dt.timedelta(minutes=1)).isoformat()
    assert cancel_requested("az://x/ws", "hygge-landing-orders", since=earlier) is True


# -- Delta fast path ---------------------------------------------------------------------------


def _delta():
    return pytest.importorskip("deltalake", reason="the delta extra")


def test_a_folder_holding_only_someone_elses_hygge_data_files_is_refused(tmp_path):
    from hygge.stores.ownership import StoreOwnershipError
    from tests.contract.store_contract import run as publish_run
    from tests.integration.test_delta_store import open_store

    _delta()
    theirs = tmp_path / "lake" / "orders" / "hygge-data" / "theirs.parquet"
    theirs.parent.mkdir(parents=True)
    pl.DataFrame({"a": [1]}).write_parquet(theirs)
    store = open_store(tmp_path, vacuum_every=1, vacuum_retention_hours=1)
    with pytest.raises(StoreOwnershipError, match=r"theirs\.parquet"):
        publish_run(store, [pl.DataFrame({"id": [1, 2]})], RunType.FULL_DROP, "r1")
    assert theirs.exists()
    assert not (tmp_path / "lake" / "orders" / "_delta_log").exists()


@pytest.mark.parametrize("value", [None, "a/b", "k=v", "../up", " ", "%41"])
def test_partition_by_values_with_nulls_slashes_and_equals_round_trip(tmp_path, value):
    from tests.contract.store_contract import run as publish_run
    from tests.integration.test_delta_store import open_store

    _delta()
    frame = pl.DataFrame({"id": [1, 2, 3], "part": [value, "plain", value]})
    table = tmp_path / "lake" / "orders"
    store = open_store(tmp_path, partition_by=["part"])
    publish_run(store, [frame], RunType.FULL_DROP, "r1")
    publish_run(open_store(tmp_path, partition_by=["part"]), [frame.with_columns(
        id=pl.col("id") + 10)], RunType.INCREMENTAL, "r2")  # fmt: skip
    back = pl.read_delta(str(table)).sort("id")
    assert back["id"].to_list() == [1, 2, 3, 11, 12, 13]
    assert back["part"].to_list() == [value, "plain", value] * 2
    assert all(p.resolve().is_relative_to(table.resolve()) for p in tmp_path.rglob("*.parquet"))


def test_an_incremental_of_int32_onto_an_int64_table_keeps_every_row(tmp_path):
    from tests.contract.store_contract import run as publish_run
    from tests.integration.test_delta_store import open_store

    _delta()
    table = tmp_path / "lake" / "orders"
    first = pl.DataFrame({"id": [1, 2]}, schema={"id": pl.Int64})
    publish_run(open_store(tmp_path), [first], RunType.FULL_DROP, "r1")
    narrow = pl.DataFrame({"id": [3, 4]}, schema={"id": pl.Int32})
    publish_run(open_store(tmp_path), [narrow], RunType.INCREMENTAL, "r2")
    back = pl.read_delta(str(table)).sort("id")
    assert back["id"].to_list() == [1, 2, 3, 4]
    assert back.schema["id"] == pl.Int64


def test_a_zero_row_first_incremental_creates_the_table_then_appends(tmp_path):
    from tests.contract.store_contract import run as publish_run
    from tests.integration.test_delta_store import open_store

    _delta()
    table = tmp_path / "lake" / "orders"
    empty = pl.DataFrame({"id": []}, schema={"id": pl.Int64})
    publish_run(open_store(tmp_path), [empty], RunType.INCREMENTAL, "r1")
    assert pl.read_delta(str(table)).height == 0
    publish_run(open_store(tmp_path), [empty.clear(), pl.DataFrame({"id": [7]})],
                RunType.INCREMENTAL, "r2")  # fmt: skip
    assert pl.read_delta(str(table))["id"].to_list() == [7]


@pytest.mark.parametrize(
    "point", ["after_stage", "after_checkpoint", "before_publish", "during_publish"]
)
def test_a_first_delta_run_killed_then_rerun_claims_only_its_own_files(tmp_path, point):
    from hygge.faults import CRASH_EXIT_CODE
    from tests.integration.test_delta_files import FLOW, run_files
    from tests.support.cli import hygge
    from tests.support.data import orders
    from tests.support.workspace import crash, land

    _delta()
    flow = FLOW.replace("path: landing}", "path: landing, batch_size: 4}")
    write_workspace(tmp_path, {"d": flow})
    table = tmp_path / "lake" / "orders"
    land(tmp_path, "orders", "a", orders(9))
    assert crash(tmp_path, point) == CRASH_EXIT_CODE  # kill -9 of the very first run
    done = hygge(tmp_path, "go")
    assert done.returncode == 0, done.stdout + done.stderr
    back = pl.read_delta(str(table)).select(orders(1).columns)
    assert content_hash(back) == content_hash(orders(9))
    read = set(_delta().DeltaTable(str(table)).get_add_actions(flatten=True)["path"].to_pylist())
    assert run_files(table) == read


def test_a_reset_after_a_killed_first_delta_run_then_a_run_lands_every_row_once(tmp_path):
    from hygge.faults import CRASH_EXIT_CODE
    from tests.integration.test_delta_files import FLOW, run_files
    from tests.support.cli import hygge
    from tests.support.data import orders
    from tests.support.workspace import crash, land

    _delta()
    write_workspace(tmp_path, {"d": FLOW.replace("landing}", "landing, batch_size: 4}")})
    land(tmp_path, "orders", "a", orders(9))
    assert crash(tmp_path, "after_checkpoint") == CRASH_EXIT_CODE
    reset = hygge(tmp_path, "reset", "--flow", "d", "--entity", "orders", "--yes")
    assert reset.returncode == 0, reset.stdout + reset.stderr
    done = hygge(tmp_path, "go")
    assert done.returncode == 0, done.stdout + done.stderr
    table = tmp_path / "lake" / "orders"
    back = pl.read_delta(str(table)).select(orders(1).columns)
    assert content_hash(back) == content_hash(orders(9))
    read = set(_delta().DeltaTable(str(table)).get_add_actions(flatten=True)["path"].to_pylist())
    assert run_files(table) == read  # the killed run's files went with its staging


# -- concurrency slots -------------------------------------------------------------------------

SLOT_FLOW = """\
home: {type: parquet, path: landing}
store: {type: open_mirroring, path: zone, key_columns: id, folder_deletion_wait_seconds: 30}
run_type: full_drop
entities: [a, b, c]
"""


def _slot_workspace(tmp_path: Path) -> Path:
    from tests.support.workspace import land

    root = write_workspace(tmp_path / "ws", {"m": SLOT_FLOW})
    for entity in ("a", "b", "c"):
        land(root, entity, "p1", pl.DataFrame({"id": [1, 2, 3], "v": ["x", "y", "z"]}))
    assert run(root, concurrency=1).ok  # new tables: no wait
    return root


def _run_with(root: Path, on_sleep, cancel=None):
    from hygge.config import load_workspace
    from hygge.engine import Selection, plan_run
    from hygge.engine.runner import run_plan
    from tests.support.workspace import state_of

    workspace = load_workspace(root)
    plan = plan_run(workspace, Selection())
    finished: dict[str, object] = {}

    def event(seen) -> None:
        result = getattr(seen, "result", None)
        if result is not None and type(seen).__name__ == "EntityFinished":
            finished[result.entity] = result

    on_sleep.finished = finished
    report = run_plan(plan, state_of(workspace), concurrency=1, on_event=event, cancel=cancel)
    return report, finished


def test_one_entity_failing_during_anothers_idle_wait_starts_no_later_one(tmp_path, monkeypatch):
    from hygge import slots
    from hygge.types import RunStatus

    root = _slot_workspace(tmp_path)
    (root / "landing" / "b" / "p1.parquet").write_bytes(b"not parquet at all")
    waited: list[float] = []

    def sleep(seconds: float) -> None:  # a's wait lasts until b (given a's slot) has ended
        waited.append(seconds)
        for _ in range(400):
            if "b" in sleep.finished:
                return
            slots.threading.Event().wait(0.05)

    monkeypatch.setattr(slots.time, "sleep", sleep)
    report, _ = _run_with(root, sleep)
    status = {r.entity: r.status for r in report.results}
    assert waited and status["b"] is RunStatus.FAIL
    assert status["c"] is RunStatus.NOT_RUN  # continue_on_error false: never started
    assert status["a"] is RunStatus.SUCCESS


def test_ctrl_c_during_an_idle_wait_starts_no_later_entity_and_a_rerun_lands_all(
    tmp_path, monkeypatch
):
    import threading

    from hygge import slots
    from hygge.types import RunStatus

    root = _slot_workspace(tmp_path)
    cancel = threading.Event()

    def sleep(seconds: float) -> None:
        cancel.set()  # Ctrl-C while a waits for Fabric

    monkeypatch.setattr(slots.time, "sleep", sleep)
    report, _ = _run_with(root, sleep, cancel)
    status = {r.entity: r.status for r in report.results}
    assert report.cancelled and status["c"] is RunStatus.NOT_RUN
    monkeypatch.setattr(slots.time, "sleep", lambda seconds: None)
    assert run(root, concurrency=1).ok  # the rerun finishes a's publish, moves b and c
    for entity in ("a", "b", "c"):
        files = sorted((root / "zone" / entity).glob("*.parquet"))
        rows = pl.concat([pl.read_parquet(f) for f in files])
        assert sorted(rows["id"].to_list()) == [1, 2, 3], entity  # once each
