"""`partitions: N` on a SQL home: N key ranges of the closed window, read at once, checkpointed
each on its own and committed once. A `hygge go` killed with SIGKILL mid-run, then run again,
leaves the lake equal to the table (count and content hash)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import polars as pl
import psycopg
import pytest

from hygge.config import load_workspace
from hygge.engine import Selection, plan_run
from hygge.engine.windows import read_spec
from hygge.errors import ConfigError
from hygge.homes.base import PartitionSpec
from tests.support.cli import HYGGE
from tests.support.data import content_hash
from tests.support.workspace import read_lake, run, write_workspace

pytestmark = pytest.mark.postgres

PROJECT = """\
name: test
options: {checkpoint_rows: %d}
connections:
  pg: {type: postgres, url: "%s", password: "${HYGGE_TEST_PG_PASSWORD}"}
"""
FLOW = """\
home: {type: postgres, connection: pg, table: '%s.{entity}', batch_size: %d, %s}
store: {type: parquet, path: lake}
entities: [orders]
"""
START = "2026-01-01"


def make_table(conninfo: str, schema: str, rows: int) -> pl.DataFrame:
    """`schema.orders` of `rows` rows made by the server; the same rows as a frame."""
    with psycopg.connect(conninfo) as connection:
        connection.execute(
            f'CREATE TABLE "{schema}".orders AS SELECT g::bigint AS id, '
            f"'note ' || g AS note, (g * 0.25)::float8 AS amount, "
            f"DATE '{START}' + (g % 700) AS day FROM generate_series(1, {rows}) g"
        )
        connection.execute(f'ALTER TABLE "{schema}".orders ADD PRIMARY KEY (id)')
    ids = pl.int_range(1, rows + 1, eager=True, dtype=pl.Int64)
    return pl.DataFrame({"id": ids}).with_columns(
        note=pl.lit("note ") + pl.col("id").cast(pl.String),
        amount=pl.col("id").cast(pl.Float64) * 0.25,
        day=pl.lit(START).str.to_date() + pl.duration(days=pl.col("id") % 700),
    )


def workspace(root: Path, postgres, schema: str, home: str, *, batch=500, every=2000) -> Path:
    flow = FLOW % (schema, batch, home)
    return write_workspace(root, {"shop": flow}, PROJECT % (every, postgres.url))


def assert_lake_equals(root: Path, source: pl.DataFrame) -> None:
    lake = read_lake(root, "orders").select(source.columns)
    assert lake.height == source.height
    assert content_hash(lake) == content_hash(source)


@pytest.fixture(autouse=True)
def _password(postgres, monkeypatch):
    monkeypatch.setenv("HYGGE_TEST_PG_PASSWORD", postgres.password)


@pytest.mark.parametrize(
    ("home", "ranges"),
    [
        ("partitions: 4", 4),  # over the primary key
        ("partitions: 3, partition_column: day", 3),
        ("partitions: 5, driver: psycopg", 5),
        ("partitions: 2, partition_column: amount", 2),
    ],
)
def test_a_partitioned_read_lands_every_row_once(tmp_path, postgres, pg_schema, home, ranges):
    source = make_table(postgres.conninfo, pg_schema, 5_000)
    root = workspace(tmp_path / "ws", postgres, pg_schema, home)
    report = run(root)
    assert report.ok, report.results
    assert_lake_equals(root, source)
    assert report.results[0].rows == 5_000
    assert len(_window_parts(root)) == ranges


def test_the_ranges_follow_the_key_span_of_the_window(tmp_path, postgres, pg_schema):
    make_table(postgres.conninfo, pg_schema, 1_000)
    root = workspace(tmp_path / "ws", postgres, pg_schema, "partitions: 4")
    parts = _window_parts(root)
    assert [(p.id, p.lower, p.upper) for p in parts] == [
        ("p0", None, 251), ("p1", 251, 501), ("p2", 501, 751), ("p3", 751, None),
    ]  # fmt: skip
    assert all(p.column == "id" for p in parts)
    settings = "partitions: 2, partition_column: day"  # range, the default
    day = _window_parts(workspace(tmp_path / "w2", postgres, pg_schema, settings))
    assert [(p.lower, p.upper) for p in day] == [(None, "2026-12-16"), ("2026-12-16", None)]
    # quantile: the day at rank 500 of the 1000 rows in order
    settings += ", partition_strategy: quantile"
    median = _window_parts(workspace(tmp_path / "w3", postgres, pg_schema, settings))
    assert [(p.lower, p.upper) for p in median] == [(None, "2026-09-08"), ("2026-09-08", None)]


def test_a_text_partition_column_is_refused_naming_it(tmp_path, postgres, pg_schema):
    make_table(postgres.conninfo, pg_schema, 100)
    root = workspace(tmp_path / "ws", postgres, pg_schema, "partitions: 3, partition_column: note")
    report = run(root, continue_on_error=True)
    [failed] = report.failed
    message = failed.message or ""
    assert "'note' is String" in message and "partition_column" in message


@pytest.mark.parametrize(
    ("home", "expected"),
    [
        ("partitions: 0", "partitions"),
        ("partitions: 65", "partitions"),
        ("partitions: 2, partition_column: ''", "partition_column"),
    ],
)
def test_bad_partitions_are_config_errors(tmp_path, postgres, pg_schema, home, expected):
    root = workspace(tmp_path / "ws", postgres, pg_schema, home)
    with pytest.raises(ConfigError) as caught:
        load_workspace(root)
    assert expected in str(caught.value) and "flow.yml" in str(caught.value)


def test_partitions_with_a_lookback_are_refused_at_load(tmp_path, postgres, pg_schema):
    flow = FLOW % (pg_schema, 100, "partitions: 2") + (
        "run_type: incremental\nwatermark: {column: day, key_columns: [id], lookback: 2d}\n"
    )
    root = write_workspace(tmp_path / "ws", {"shop": flow}, PROJECT % (100, postgres.url))
    with pytest.raises(ConfigError, match="lookback"):
        load_workspace(root)


def test_an_incremental_partitioned_run_reads_only_the_new_rows(tmp_path, postgres, pg_schema):
    make_table(postgres.conninfo, pg_schema, 2_000)
    flow = FLOW % (pg_schema, 300, "partitions: 3") + (
        "run_type: incremental\nwatermark: {column: id}\n"
    )
    root = write_workspace(tmp_path / "ws", {"shop": flow}, PROJECT % (1000, postgres.url))
    assert run(root).ok
    with psycopg.connect(postgres.conninfo) as connection:
        connection.execute(
            f"INSERT INTO \"{pg_schema}\".orders SELECT g, 'note ' || g, g * 0.25, "
            f"DATE '{START}' + (g % 700) FROM generate_series(2001, 2600) g"
        )
    second = run(root)
    assert second.ok and second.results[0].rows == 600
    assert_lake_equals(root, make_frame(2_600))


def make_frame(rows: int) -> pl.DataFrame:
    ids = pl.int_range(1, rows + 1, eager=True, dtype=pl.Int64)
    return pl.DataFrame({"id": ids}).with_columns(
        note=pl.lit("note ") + pl.col("id").cast(pl.String),
        amount=pl.col("id").cast(pl.Float64) * 0.25,
        day=pl.lit(START).str.to_date() + pl.duration(days=pl.col("id") % 700),
    )


def _window_parts(root: Path) -> list[PartitionSpec]:
    """The partitions the entity's home cuts its window into, as a run's begin would."""
    [task] = plan_run(load_workspace(root), Selection()).tasks
    return task.home.open(task.place).open_window(read_spec(task, None, None)).partitions


def kill_mid_run(root: Path, *, at_least: int, timeout: float = 60.0) -> None:
    """Start `hygge go`, SIGKILL it once its checkpoint holds `at_least` rows (in more than
    one partition), before it finishes."""
    go = subprocess.Popen(
        [HYGGE, "go"], cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={k: v for k, v in os.environ.items() if k != "HYGGE_FAULT"},
    )  # fmt: skip
    checkpoint = root / ".hygge" / "checkpoints" / "shop" / "orders.json"
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and go.poll() is None:
            saved = _read(checkpoint)
            moving = [p for p in saved.get("partitions", []) if p.get("rows")]
            if saved.get("rows", 0) >= at_least and len(moving) > 1:
                break
            time.sleep(0.02)
        assert go.poll() is None, f"hygge go ended before it was killed: {go.stdout.read()}"
        os.kill(go.pid, signal.SIGKILL)
    finally:
        go.wait(timeout=30)
    assert go.returncode == -signal.SIGKILL
    saved = _read(checkpoint)
    assert saved.get("rows", 0) >= at_least, saved


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _resume(root: Path, source: pl.DataFrame) -> None:
    again = subprocess.run(
        [HYGGE, "go"], cwd=root, capture_output=True, text=True, timeout=600, check=False
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert "resum" in again.stdout.lower(), again.stdout
    assert_lake_equals(root, source)


@pytest.mark.parametrize("strategy", ["range", "quantile"])
def test_a_partitioned_read_killed_with_sigkill_resumes_to_an_equal_lake(
    tmp_path, postgres, pg_schema, strategy
):
    source = make_table(postgres.conninfo, pg_schema, 200_000)
    settings = f"partitions: 4, partition_column: day, partition_strategy: {strategy}"
    root = workspace(tmp_path / "ws", postgres, pg_schema, settings, every=10_000)
    kill_mid_run(root, at_least=20_000)
    _resume(root, source)


@pytest.mark.bench
def test_a_5m_row_partitioned_read_killed_with_sigkill_resumes_to_an_equal_lake(
    tmp_path, postgres, pg_schema
):
    source = make_table(postgres.conninfo, pg_schema, 5_000_000)
    root = workspace(
        tmp_path / "ws", postgres, pg_schema, "partitions: 8", batch=50_000, every=500_000
    )
    kill_mid_run(root, at_least=1_000_000, timeout=600)
    _resume(root, source)


def test_the_entitys_parallel_cuts_a_sql_window_as_partitions_does(tmp_path, postgres, pg_schema):
    source = make_table(postgres.conninfo, pg_schema, 3_000)
    flow = FLOW % (pg_schema, 400, "driver: adbc") + "parallel: 3\n"
    root = write_workspace(tmp_path / "ws", {"shop": flow}, PROJECT % (1000, postgres.url))
    assert len(_window_parts(root)) == 3
    report = run(root)
    assert report.ok, report.results
    assert_lake_equals(root, source)
