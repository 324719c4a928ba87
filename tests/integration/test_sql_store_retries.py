"""A SQL store's step is one transaction, tried again after a transient error (a lost
connection): the step runs whole once more and nothing doubles; a SQLite file whose write lock
another process holds past `lock_timeout` fails the step naming the file; a permanent error
fails at once with the server's message and what to check."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hygge.cli.app import app
from hygge.connections import PostgresConnection
from hygge.errors import DataError, EntityLockedError
from hygge.stores.sql.config import PostgresStoreConfig, SqliteStoreConfig
from hygge.stores.sql.sqlite import SqliteDatabase
from hygge.stores.sql.store import SqlStore
from hygge.types import Place, RunType
from tests.contract.store_contract import assert_same_rows, run, stage
from tests.support.data import orders
from tests.support.sql_stores import PASSWORD_VARIABLE, execute_postgres, read_postgres, read_sqlite
from tests.support.workspace import land, write_workspace

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


def test_a_publish_while_another_process_holds_the_write_lock_names_the_file_then_publishes_once(
    tmp_path,
):
    """SQLite's busy timeout (`lock_timeout`) is the wait: then the step fails naming the file,
    the lock and what to do, changing nothing; once the lock is gone it publishes, once."""
    file = tmp_path / "lake.sqlite"
    config = SqliteStoreConfig(path="lake.sqlite", table="orders", lock_timeout=0)
    place = Place(tmp_path, "sales", "orders", "shop")
    run(config.open(place), [orders(3)], RunType.FULL_DROP, "run-1")
    staging = stage(config.open(place), [orders(4, start=3)], RunType.INCREMENTAL, "run-2")
    holder = sqlite3.connect(file, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process's write transaction, left open
    try:
        with pytest.raises(EntityLockedError) as caught:  # not tried again: one wait
            config.open(place).publish(staging)
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    said = str(caught.value)
    assert f"sqlite database {os.path.realpath(file)} is locked" in said, said
    assert "another process holds its write lock" in said and "`lock_timeout`" in said, said
    assert "firewall" not in said and "tries in a row" not in said, said
    assert_same_rows(read_sqlite(file, "orders", SCHEMA), orders(3))
    config.open(place).publish(staging)
    assert_same_rows(read_sqlite(file, "orders", SCHEMA), orders(7))


def test_a_lock_timeout_below_zero_is_refused_naming_the_field():
    with pytest.raises(ValueError, match="lock_timeout"):
        SqliteStoreConfig(path="lake.sqlite", table="orders", lock_timeout=-1)


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


def test_hygge_go_into_a_sqlite_file_another_process_holds_says_so_and_loads_after(tmp_path):
    flow = (
        "home: {type: local, format: csv, path: landing}\n"
        "store: {type: sqlite, path: wh.sqlite, lock_timeout: 0}\nentities: [orders]\n"
    )
    ws = write_workspace(tmp_path / "ws", {"shop": flow}, "name: shop\n")
    land(ws, "orders", "a", orders(3), fmt="csv")
    runner = CliRunner(env={"COLUMNS": "400"})
    holder = sqlite3.connect(ws / "wh.sqlite", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        done = runner.invoke(app, ["go", "-w", str(ws)], catch_exceptions=False)
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    said = " ".join(done.output.split())
    assert done.exit_code == 1, said
    assert f"sqlite database {os.path.realpath(ws / 'wh.sqlite')} is locked" in said, said
    assert "another process holds its write lock" in said, said
    assert "firewall" not in said, said
    again = runner.invoke(app, ["go", "-w", str(ws)], catch_exceptions=False)
    assert again.exit_code == 0, again.output
    assert read_sqlite(ws / "wh.sqlite", "orders").height == 3
