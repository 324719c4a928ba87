"""Nothing lost, nothing doubled from a SQL home: PostgreSQL (ADBC and psycopg) into parquet.

A workspace reads `<schema>.orders` through a `type: postgres` connection (its password a
`${VAR}`), in chunks of a few rows. After a first load, new rows arrive; then a fault at every
step boundary (`raise` in process, `exit` as kill -9 in a child process), and a plain rerun.
The lake must equal the table: row count and an order-insensitive content hash.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from hygge.faults import CRASH_EXIT_CODE, FAULT_POINTS, reset_faults
from hygge.types import RunStatus
from tests.support.data import content_hash, orders
from tests.support.sql_sources import write_postgres
from tests.support.workspace import crash, read_lake, run, write_workspace

pytestmark = pytest.mark.postgres

PROJECT = """\
name: test
options: {checkpoint_rows: 4}
connections:
  pg: {type: postgres, url: "%s", password: "${HYGGE_TEST_PG_PASSWORD}"}
"""
FLOW = """\
home: {type: postgres, connection: pg, table: '%s.{entity}', batch_size: 3, driver: %s}
store: {type: parquet, path: lake, batch_size: 5}
run_type: %s
watermark: {column: updated_at, key_columns: [id]}
entities: [orders]
"""


@pytest.fixture
def workspace(tmp_path, postgres, pg_schema, monkeypatch):
    monkeypatch.setenv("HYGGE_TEST_PG_PASSWORD", postgres.password)

    def prepare(run_type: str, driver: str = "adbc") -> pl.DataFrame:
        root = tmp_path / "ws"
        flow = FLOW % (pg_schema, driver, run_type)
        write_workspace(root, {"shop": flow}, PROJECT % postgres.url)
        table = f'"{pg_schema}"."orders"'
        write_postgres(postgres.conninfo, table, orders(12))
        first = run(root)
        assert first.ok, first.results
        write_postgres(postgres.conninfo, table, orders(11, start=12))
        return orders(23)

    return prepare


def assert_lake_equals(root: Path, source: pl.DataFrame) -> None:
    lake = read_lake(root, "orders").select(source.columns)
    assert lake.height == source.height
    assert content_hash(lake) == content_hash(source)


@pytest.mark.parametrize("run_type", ["full_drop", "incremental"])
@pytest.mark.parametrize("point", FAULT_POINTS)
def test_an_error_at_any_step_then_a_rerun_leaves_the_lake_equal_to_the_table(
    workspace, tmp_path, monkeypatch, point, run_type
):
    source = workspace(run_type)
    root = tmp_path / "ws"
    monkeypatch.setenv("HYGGE_FAULT", f"{point}:raise")
    reset_faults()
    failed = run(root)
    # after_journal: only the clean-up after a complete run failed; after_ledger: a SQL window
    # has no file ledger, so that point is never reached.
    finished = point in {"after_journal", "after_ledger"}
    expected = RunStatus.SUCCESS if finished else RunStatus.FAIL
    assert failed.results[0].status is expected
    monkeypatch.delenv("HYGGE_FAULT")
    rerun = run(root)
    assert rerun.ok, rerun.results
    assert_lake_equals(root, source)


@pytest.mark.parametrize("driver", ["adbc", "psycopg"])
@pytest.mark.parametrize("point", ["after_stage", "after_checkpoint", "during_publish"])
def test_a_killed_run_resumes_mid_table_without_loss_or_duplicates(
    workspace, tmp_path, point, driver
):
    source = workspace("incremental", driver)
    root = tmp_path / "ws"
    assert crash(root, point) == CRASH_EXIT_CODE
    rerun = run(root)
    assert rerun.ok, rerun.results
    assert_lake_equals(root, source)


def test_rows_added_after_a_run_load_once_with_the_next(workspace, tmp_path, postgres, pg_schema):
    source = workspace("incremental")
    root = tmp_path / "ws"
    assert run(root).ok
    assert_lake_equals(root, source)
    write_postgres(postgres.conninfo, f'"{pg_schema}"."orders"', orders(2, start=23))
    assert run(root).ok
    assert_lake_equals(root, orders(25))
