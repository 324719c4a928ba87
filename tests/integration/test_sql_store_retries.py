"""A SQL store's step is one transaction, tried again after a transient error (a lost
connection, a locked database): the step runs whole once more and nothing doubles; a permanent
error fails at once with the server's message and what to check."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest

from hygge.connections import PostgresConnection
from hygge.errors import DataError
from hygge.stores.sql.config import PostgresStoreConfig, SqliteStoreConfig
from hygge.stores.sql.sqlite import SqliteDatabase
from hygge.stores.sql.store import SqlStore
from hygge.types import Place, RunType
from tests.contract.store_contract import assert_same_rows, run, stage
from tests.support.data import orders
from tests.support.sql_stores import PASSWORD_VARIABLE, execute_postgres, read_postgres, read_sqlite

SCHEMA = orders(1).schema


class FlakyDatabase(SqliteDatabase):
    """SQLite whose statements containing `fail_on` raise `error` the first `times` times."""

    def __init__(self, path: Path, fail_on: str, error: Exception, times: int) -> None:
        super().__init__(path)
        self.fail_on, self.error, self.times, self.raised = fail_on, error, times, 0

    @contextlib.contextmanager
    def transaction(self):
        with super().transaction() as session:
            plain = session.execute

            def execute(sql, params=()):
                if self.fail_on in sql and self.raised < self.times:
                    self.raised += 1
                    raise self.error
                plain(sql, params)

            session.execute = execute  # type: ignore[method-assign]
            yield session


def flaky_store(tmp_path: Path, fail_on: str, error: Exception, times: int) -> SqlStore:
    config = SqliteStoreConfig(path="lake.sqlite", table="orders")
    database = FlakyDatabase(tmp_path / "lake.sqlite", fail_on, error, times)
    return SqlStore(config, database, Place(tmp_path, "sales", "orders", "shop"))


def test_a_publish_that_meets_a_locked_database_is_tried_again_and_publishes_once(tmp_path):
    run(flaky_store(tmp_path, "-", sqlite3.OperationalError(), 0), [orders(3)],
        RunType.FULL_DROP, "run-1")  # fmt: skip
    store = flaky_store(tmp_path, 'INSERT INTO "main"."orders"', sqlite3.OperationalError(
        "database is locked"), times=2)  # fmt: skip
    staging = stage(store, [orders(4, start=3)], RunType.INCREMENTAL, "run-2")

    store.publish(staging)

    assert store.database.raised == 2  # type: ignore[attr-defined]
    assert_same_rows(read_sqlite(tmp_path / "lake.sqlite", "orders", SCHEMA), orders(7))
    last = store.last_commit()
    assert last is not None and last.run_id == "run-2"


def test_a_permanent_error_fails_at_once_with_the_servers_message(tmp_path):
    error = sqlite3.OperationalError("no such column: surprise")
    store = flaky_store(tmp_path, 'CREATE TABLE "main"."_hygge_stage', error, times=99)
    staging = store.prepare("run-1", RunType.FULL_DROP)

    with pytest.raises(DataError, match=r"cannot stage a batch for sqlite .*no such column"):
        store.write(staging, orders(2))

    assert store.database.raised == 1  # type: ignore[attr-defined]


@pytest.mark.postgres
def test_a_postgres_store_whose_connections_were_cut_reconnects_and_publishes_once(
    tmp_path, postgres, pg_schema, monkeypatch
):
    monkeypatch.setenv(PASSWORD_VARIABLE, postgres.password)
    connection = PostgresConnection(url=postgres.url, password=f"${{{PASSWORD_VARIABLE}}}")
    config = PostgresStoreConfig(connection="pg", table=f"{pg_schema}.orders")
    place = Place(tmp_path, "sales", "orders", "shop", connections={"pg": connection})
    staging = stage(config.open(place), [orders(5)], RunType.INCREMENTAL, "run-1")
    execute_postgres(  # the server drops every session of the store (a failover, a restart)
        postgres.conninfo,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE pid <> pg_backend_pid() AND usename = current_user",
    )

    config.open(place).publish(staging)

    assert_same_rows(read_postgres(postgres.conninfo, pg_schema, "orders", SCHEMA), orders(5))
