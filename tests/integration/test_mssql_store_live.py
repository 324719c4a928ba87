"""The mssql store against a real SQL Server, when `HYGGE_TEST_MSSQL` holds an ODBC connection
string (skipped otherwise, naming the variable): the store contract battery and a round trip
parquet -> SQL Server -> parquet through the CLI. How to run it: README.md, Stores, SQL Server
(a local SQL Server container, or an Azure SQL database)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar

import polars as pl
import pytest

from hygge.connections import MssqlConnection
from hygge.stores.base import Store, StoreCapabilities
from hygge.stores.sql.config import MssqlStoreConfig
from hygge.types import Place, RunType
from tests.contract.store_contract import OpenStore, ReadPublished, StoreContract
from tests.support.cli import hygge
from tests.support.data import content_hash, orders
from tests.support.workspace import land, read_lake, write_workspace

VARIABLE = "HYGGE_TEST_MSSQL"


def _connect():
    import pyodbc

    return pyodbc.connect(os.environ[VARIABLE], autocommit=True)


@pytest.fixture
def mssql_schema() -> Iterator[str]:
    """A new schema of the SQL Server `HYGGE_TEST_MSSQL` names, dropped afterwards."""
    if not os.environ.get(VARIABLE):
        pytest.skip(f"{VARIABLE} is not set: the SQL Server suite needs an ODBC connection string")
    name = f"t_{uuid.uuid4().hex[:12]}"
    with _connect() as connection:
        connection.execute(f"CREATE SCHEMA [{name}]")
    yield name
    with _connect() as connection:
        tables = connection.execute(
            "SELECT t.name FROM sys.tables t JOIN sys.schemas s ON s.schema_id = t.schema_id "
            "WHERE s.name = ?",
            name,
        ).fetchall()
        for (table,) in tables:
            connection.execute(f"DROP TABLE [{name}].[{table}]")
        connection.execute(f"DROP SCHEMA [{name}]")


def read_mssql(schema: str, table: str, polars_schema: pl.Schema | None) -> pl.DataFrame | None:
    with _connect() as connection:
        if connection.execute("SELECT OBJECT_ID(?)", f"[{schema}].[{table}]").fetchone()[0] is None:
            return None
        cursor = connection.execute(f"SELECT * FROM [{schema}].[{table}]")
        names = [column[0] for column in cursor.description]
        rows = [tuple(row) for row in cursor.fetchall()]
    if polars_schema is None:
        return pl.DataFrame(rows, schema=names, orient="row")
    if not rows:
        return pl.DataFrame(schema=polars_schema)
    frame = pl.DataFrame(rows, schema=names, orient="row", infer_schema_length=None)
    return frame.select(pl.col(n).cast(t) for n, t in polars_schema.items())


def connections() -> dict[str, MssqlConnection]:
    ms = MssqlConnection(auth="connection_string", connection_string=f"${{{VARIABLE}}}")
    return {"ms": ms}


class TestMssqlStore(StoreContract):
    capabilities: ClassVar[StoreCapabilities] = MssqlStoreConfig.capabilities.model_copy(
        update={"atomic_visibility": frozenset({RunType.FULL_DROP, RunType.INCREMENTAL})}
    )
    unwritable_columns: ClassVar[frozenset[str]] = frozenset({"list", "struct"})

    @pytest.fixture
    def open_store(self, tmp_path: Path, mssql_schema: str) -> OpenStore:
        def open_() -> Store:
            config = MssqlStoreConfig(
                connection="ms", table=f"{mssql_schema}.orders", batch_size=4, parallel_workers=2
            )
            return config.open(Place(tmp_path, "sales", "orders", "shop", connections()))

        return open_

    @pytest.fixture
    def read_published(self, mssql_schema: str) -> ReadPublished:
        return lambda schema: read_mssql(mssql_schema, "orders", schema)

    @pytest.fixture
    def fill_foreign(self, mssql_schema: str) -> Callable[[], None]:
        def fill() -> None:
            with _connect() as connection:
                connection.execute(
                    f"CREATE TABLE [{mssql_schema}].orders (id BIGINT, customer NVARCHAR(40), "
                    "amount FLOAT, updated_at DATETIME2)"
                )
                connection.execute(
                    f"INSERT INTO [{mssql_schema}].orders VALUES (0, 'someone', 1.5, '2024-01-01')"
                )

        return fill


def test_parquet_to_sql_server_to_parquet_through_the_cli_keeps_every_row(
    tmp_path: Path, mssql_schema: str
) -> None:
    project = "name: trip\nconnections:\n  ms: {type: mssql, auth: connection_string, "
    project += f"connection_string: '${{{VARIABLE}}}'}}\n"
    table = f"{mssql_schema}.{{entity}}"
    flows = {
        "load": f"home: landing\nstore: {{type: mssql, connection: ms, table: '{table}'}}\n"
        "entities: [orders]\n",
        "back": f"home: {{type: mssql, connection: ms, table: '{table}'}}\nstore: lake\n"
        "entities: [orders]\n",
    }
    write_workspace(tmp_path, flows, project)
    source = orders(5_000)
    land(tmp_path, "orders", "a", source)
    for flow in ("load", "back"):
        done = hygge(tmp_path, "go", "--flow", flow)
        assert done.returncode == 0, done.stdout + done.stderr
    back = read_lake(tmp_path, "orders")
    back = back.select(pl.col(n).cast(t) for n, t in source.schema.items())
    assert back.height == source.height
    assert content_hash(back) == content_hash(source)


def _store(tmp_path: Path, schema: str, **fields) -> Store:
    config = MssqlStoreConfig(connection="ms", table=f"{schema}.orders", **fields)
    return config.open(Place(tmp_path, "sales", "orders", "shop", connections()))


def test_full_drop_swaps_the_staged_table_in_marked_and_clustered_columnstore(
    tmp_path: Path, mssql_schema: str
) -> None:
    from tests.contract.store_contract import run

    run(_store(tmp_path, mssql_schema), [orders(5)], RunType.FULL_DROP, "run-1")
    run(_store(tmp_path, mssql_schema), [orders(3, start=10)], RunType.FULL_DROP, "run-2")

    table = read_mssql(mssql_schema, "orders", orders(1).schema)
    assert table is not None and sorted(table["id"].to_list()) == [10, 11, 12]
    assert set(table.columns) == set(orders(1).columns)  # no _hygge_seq / _hygge_row left
    with _connect() as connection:
        qualified = f"[{mssql_schema}].[orders]"
        (mark,) = connection.execute(
            "SELECT CAST(value AS NVARCHAR(200)) FROM sys.extended_properties WHERE class = 1 "
            "AND major_id = OBJECT_ID(?) AND minor_id = 0 AND name = N'hygge'",
            qualified,
        ).fetchone()
        (index,) = connection.execute(
            "SELECT type_desc FROM sys.indexes WHERE object_id = OBJECT_ID(?) AND index_id = 1",
            qualified,
        ).fetchone()
        stagings = connection.execute(
            "SELECT count(*) FROM sys.tables t JOIN sys.schemas s ON s.schema_id = t.schema_id "
            "WHERE s.name = N'_hygge' AND t.name LIKE N'stage[_]%'"
        ).fetchone()[0]
    assert str(mark).startswith("hygge:")
    assert index == "CLUSTERED COLUMNSTORE"
    assert stagings == 0


def test_a_table_recreated_by_someone_else_under_the_owned_name_is_refused(
    tmp_path: Path, mssql_schema: str
) -> None:
    from hygge.errors import StoreOwnershipError
    from tests.contract.store_contract import run

    run(_store(tmp_path, mssql_schema), [orders(3)], RunType.FULL_DROP, "run-1")
    with _connect() as connection:
        connection.execute(f"DROP TABLE [{mssql_schema}].[orders]")
        connection.execute(f"CREATE TABLE [{mssql_schema}].[orders] (id BIGINT)")
        connection.execute(f"INSERT INTO [{mssql_schema}].[orders] VALUES (99)")

    problem = _store(tmp_path, mssql_schema).ownership_problem()

    assert problem is not None and "lacks hygge's mark" in problem
    with pytest.raises(StoreOwnershipError, match="extended property hygge"):
        _store(tmp_path, mssql_schema).prepare("run-2", RunType.FULL_DROP)
    table = read_mssql(mssql_schema, "orders", None)
    assert table is not None and table["id"].to_list() == [99]


def test_a_second_connection_holding_the_tables_applock_makes_a_publish_wait_then_stop(
    tmp_path: Path, mssql_schema: str
) -> None:
    """Two connections: one holds the publish lock of the table in an open transaction (as
    another workspace's publish would); the store's publish waits `lock_timeout`, then stops
    naming the table and the session holding it, having changed nothing; once the other
    commits, the same publish goes through."""
    import threading
    import time

    import pyodbc

    from hygge.errors import StateError
    from tests.contract.store_contract import stage

    store = _store(tmp_path, mssql_schema, lock_timeout=2)
    staging = stage(store, [orders(3)], RunType.FULL_DROP, "run-1")
    (lock,) = store.dialect.lock_target(store.target)  # type: ignore[attr-defined]
    other = pyodbc.connect(os.environ[VARIABLE], autocommit=False)
    try:
        (granted,) = other.execute(lock).fetchone()
        assert granted == 0
        (session,) = other.execute("SELECT @@SPID").fetchone()
        started = time.monotonic()
        with pytest.raises(StateError) as raised:
            store.publish(staging)
        waited = time.monotonic() - started
        message = str(raised.value)
        assert "orders" in message and "waited its timeout out" in message
        assert f"held by session {session}" in message, message
        assert waited >= 1.5  # it waited for the lock, then stopped
        assert read_mssql(mssql_schema, "orders", None) is None  # nothing published

        # the second time, the other publish finishes while this one waits: it goes through
        release = threading.Timer(1.0, other.commit)
        release.start()
        store.publish(staging)
        release.join()
    finally:
        other.close()
    table = read_mssql(mssql_schema, "orders", orders(1).schema)
    assert table is not None and sorted(table["id"].to_list()) == [0, 1, 2]
