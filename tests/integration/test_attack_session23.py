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
from tests.support.data import content_hash
from tests.support.sql_sources import write_duckdb, write_sqlite
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


def _workspace(root: Path, home: str, settings: str) -> Path:
    flow = f"home: {home}, {settings}}}\nstore: {{type: parquet, path: lake}}\n"
    project = "name: test\noptions: {checkpoint_rows: 500}\n"
    return write_workspace(root, {"shop": flow + "entities: [orders]\n"}, project)


@pytest.mark.parametrize(  # sqlite keeps timestamps as text, which partitions refuse
    ("kind", "column"),
    [(kind, column) for kind in ("sqlite", "duckdb") for column in ("nothing", "one", "negative")]
    + [("duckdb", "zoned")],
)
def test_quantile_partitions_on_odd_keys_land_every_row_once(tmp_path, kind, column):
    frame = _odd_keys()
    if kind == "sqlite":
        frame = frame.drop("zoned")
    path = tmp_path / f"shop.{kind}"
    (write_sqlite if kind == "sqlite" else write_duckdb)(path, "orders", frame)
    home = f"{{type: {kind}, path: {path}, table: orders, batch_size: 300"
    settings = f"partitions: 5, partition_column: {column}, partition_strategy: quantile"
    root = _workspace(tmp_path / "ws", home, settings)
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
    os.replace(other, home)  # a new inode (or the old one reused)
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
