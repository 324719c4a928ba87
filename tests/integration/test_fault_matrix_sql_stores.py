"""The fault matrix for the SQL stores (`type: postgres`, `type: sqlite`), as for DuckDB.

Every named fault point x full_drop, incremental and merge: `raise` fails the step in process;
`exit` kills the process (os._exit, as `kill -9`) in a child. After the fault a plain run
resumes or restarts, and the table equals the source: row count and an order-insensitive
content hash; the watermark, checkpoint and locks are settled.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from hygge.config import load_workspace
from hygge.faults import CRASH_EXIT_CODE, FAULT_POINTS, reset_faults
from hygge.types import RunStatus
from tests.support.data import content_hash, orders
from tests.support.sql_stores import PASSWORD_VARIABLE, read_postgres, read_sqlite
from tests.support.workspace import (
    assert_state_is_settled,
    crash,
    land,
    run,
    state_of,
    write_workspace,
)

FLOW = """\
home: {type: parquet, path: landing, batch_size: 4}
store: %s
run_type: %s
key_columns: [id]
watermark: {column: updated_at}
entities: [orders]
"""
RUN_TYPES = ["full_drop", "incremental", "merge"]
Reader = Callable[[pl.Schema], pl.DataFrame | None]


@pytest.fixture(params=["postgres", "sqlite"])
def target(request, tmp_path: Path) -> tuple[str, str, Reader]:
    """(hygge.yml, the store block, a reader of the published table) for one SQL store."""
    root = tmp_path / "ws"
    if request.param == "sqlite":
        store = '{type: sqlite, path: lake.sqlite, table: "{entity}", batch_size: 5}'
        return "name: test\n", store, lambda s: read_sqlite(root / "lake.sqlite", "orders", s)
    request.applymarker(pytest.mark.postgres)
    postgres = request.getfixturevalue("postgres")
    schema = request.getfixturevalue("pg_schema")
    request.getfixturevalue("monkeypatch").setenv(PASSWORD_VARIABLE, postgres.password)
    connection = f"{{type: postgres, url: '{postgres.url}', password: '${{{PASSWORD_VARIABLE}}}'}}"
    project = f"name: test\nconnections:\n  pg: {connection}\n"
    table = f"'{schema}.\"{{entity}}\"'"
    store = f"{{type: postgres, connection: pg, table: {table}, batch_size: 5}}"
    return project, store, lambda s: read_postgres(postgres.conninfo, schema, "orders", s)


def prepare(root: Path, target, run_type: str) -> pl.DataFrame:
    """A workspace with one completed run, then new data landed; returns the full source."""
    project, store, _ = target
    write_workspace(root, {"shop": FLOW % (store, run_type)}, project)
    land(root, "orders", "a", orders(12))
    assert run(root).ok
    land(root, "orders", "b", orders(11, start=12))
    return orders(23)


def assert_table_matches(target, source: pl.DataFrame) -> None:
    table = target[2](source.schema)
    assert table is not None
    assert table.height == source.height
    assert content_hash(table) == content_hash(source)


@pytest.mark.parametrize("run_type", RUN_TYPES)
@pytest.mark.parametrize("point", FAULT_POINTS)
def test_an_error_at_any_step_then_a_rerun_leaves_the_table_equal_to_the_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target, point: str, run_type: str
) -> None:
    root = tmp_path / "ws"
    source = prepare(root, target, run_type)
    monkeypatch.setenv("HYGGE_FAULT", f"{point}:raise")
    reset_faults()

    failed = run(root)

    expected = RunStatus.SUCCESS if point == "after_journal" else RunStatus.FAIL
    assert failed.results[0].status is expected, failed.results
    monkeypatch.delenv("HYGGE_FAULT")
    rerun = run(root)
    assert rerun.ok, rerun.results
    assert_table_matches(target, source)
    assert_state_is_settled(root, source)


@pytest.mark.parametrize("run_type", RUN_TYPES)
@pytest.mark.parametrize("point", FAULT_POINTS)
def test_a_killed_process_at_any_step_resumes_without_loss_or_duplicates(
    tmp_path: Path, target, point: str, run_type: str
) -> None:
    root = tmp_path / "ws"
    source = prepare(root, target, run_type)

    assert crash(root, point) == CRASH_EXIT_CODE

    assert state_of(load_workspace(root)).list_locks(), "the dead run's lock is left behind"
    rerun = run(root)
    assert rerun.ok, rerun.results
    assert_table_matches(target, source)
    assert_state_is_settled(root, source)
