"""The mssql store's publish of a run that staged no row (an empty source): the staging heap
takes the run's columns (`Staging.arrow_schema`) in the publish's one transaction, so the
table is created with them, empty; every statement parses as T-SQL (sqlglot)."""

from __future__ import annotations

import pytest

from hygge.engine.batches import encode_schema
from hygge.stores.ownership import StoreOwner
from hygge.stores.sql.mssql_dialect import MssqlDialect
from hygge.types import RunType
from tests.support.data import orders
from tests.support.recording_sql import RecordingDatabase
from tests.unit.stores.test_mssql_statements import NAMES, assert_t_sql, store_on


def _empty_publish(database: RecordingDatabase, store, run_type: RunType) -> list[str]:
    """Prepare and publish a 0-row run; the statements of the publish's transaction."""
    frame = orders(3).clear()
    staging = store.prepare("run-1", run_type)
    location = database.dialect.staging_table(store.target, "run-1")
    database.creates[location] = {
        n: database.dialect.column_type(store.target, frame[n]) for n in frame.columns
    } | database.dialect.staging_columns()
    before = len(database.sent)
    store.publish(staging.model_copy(update={"arrow_schema": encode_schema(frame)}))
    return database.transaction_of(before)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("run_type", list(RunType), ids=lambda r: r.value)
def test_a_0_row_first_publish_creates_the_table_with_the_runs_columns(tmp_path, name, run_type):
    database = RecordingDatabase(MssqlDialect())
    store = store_on(database, tmp_path, name)
    database.target = store.target

    publish = _empty_publish(database, store, run_type)

    assert_t_sql(database.sent)
    staged = [t for t in publish if t.startswith("CREATE TABLE [_hygge].[stage_")]
    assert len(staged) == 1  # in the publish's transaction: rolled back with it
    assert "[id] BIGINT NULL, [customer] NVARCHAR(16) NULL, [amount] FLOAT NULL" in staged[0]
    assert "[updated_at] DATETIME2(6) NULL" in staged[0]
    if run_type is RunType.FULL_DROP:
        assert any(t.startswith("ALTER SCHEMA [dbo] TRANSFER [_hygge].[stage_") for t in publish)
    else:
        created = [t for t in publish if t.startswith("CREATE TABLE [dbo].")]
        assert len(created) == 1 and "CREATE CLUSTERED COLUMNSTORE INDEX" in created[0]
    assert not database.loaded  # no row to bulk load


@pytest.mark.parametrize("run_type", [RunType.INCREMENTAL, RunType.MERGE], ids=str)
def test_a_0_row_incremental_publish_leaves_an_existing_table_alone(tmp_path, run_type):
    database = RecordingDatabase(MssqlDialect())
    store = store_on(database, tmp_path, "orders")
    database.target = store.target
    database.tables[store.target] = {"id": "BIGINT"}
    database.own(store.target, StoreOwner.of(store.place, "mssql"))

    publish = _empty_publish(database, store, run_type)

    assert_t_sql(database.sent)
    assert not any(t.startswith(("CREATE TABLE", "ALTER TABLE", "DROP TABLE IF EXISTS [dbo]"))
                   for t in publish)  # fmt: skip
    assert any(t.startswith("INSERT INTO [_hygge].[commits]") for t in publish)


def test_a_0_row_publish_without_known_columns_creates_nothing(tmp_path):
    database = RecordingDatabase(MssqlDialect())
    store = store_on(database, tmp_path, "orders")
    database.target = store.target
    staging = store.prepare("run-1", RunType.FULL_DROP)

    store.publish(staging)  # arrow_schema None: an engine that knows no columns

    assert not any(t.startswith("CREATE TABLE") for t, _ in database.sent)
    assert store.target not in database.tables
