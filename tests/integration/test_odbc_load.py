"""The mssql store's bulk path (pyodbc fast_executemany in batch_size chunks over
parallel_workers connections) run for real against PostgreSQL through unixODBC + psqlODBC:
the same ODBC code SQL Server gets, with PostgreSQL's quoting of the same INSERT."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest

from hygge.errors import StateError
from hygge.stores.sql.odbc_load import insert_rows, odbc_connector
from tests.support.data import content_hash
from tests.support.sql_stores import execute_postgres, read_postgres

pytestmark = pytest.mark.postgres
COLUMNS = {
    "id": "bigint",
    "name": "text",
    "amount": "double precision",
    "at": "timestamp",
    "price": "numeric(12,2)",
    "flag": "boolean",
    "day": "date",
}


def frame(rows: int) -> pl.DataFrame:
    ids = list(range(rows))
    return pl.DataFrame(
        {
            "id": ids,
            "name": [None if i % 7 == 0 else f"näme-{i}; '--" for i in ids],
            "amount": [i * 1.25 for i in ids],
            "at": [dt.datetime(2024, 1, 1, 12) + dt.timedelta(seconds=i) for i in ids],
            "price": [Decimal(i) / 4 for i in ids],
            "flag": [i % 2 == 0 for i in ids],
            "day": [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in ids],
        },
        schema_overrides={"price": pl.Decimal(12, 2)},
    )


def statement(schema: str) -> str:
    listed = ", ".join(f'"{c}"' for c in COLUMNS)
    return f'INSERT INTO "{schema}"."t" ({listed}) VALUES ({", ".join("?" * len(COLUMNS))})'


@pytest.fixture
def table(postgres, pg_schema: str) -> str:
    columns = ", ".join(f'"{name}" {kind}' for name, kind in COLUMNS.items())
    execute_postgres(postgres.conninfo, f'CREATE TABLE "{pg_schema}"."t" ({columns})')
    return pg_schema


@pytest.mark.parametrize("workers", [1, 3], ids=["one-connection", "three-connections"])
def test_fast_executemany_in_chunks_over_parallel_connections_loads_every_row(
    postgres, table: str, workers: int
) -> None:
    connect = odbc_connector(postgres.odbc + "BoolsAsChar=0;", "odbc postgres", 10, None)
    source = frame(53)

    insert_rows(connect, statement(table), source, batch_size=7, workers=workers)

    loaded = read_postgres(postgres.conninfo, table, "t", source.schema)
    assert loaded is not None and loaded.height == 53
    assert content_hash(loaded) == content_hash(source)


def test_rows_loaded_in_the_callers_transaction_vanish_with_its_rollback(postgres, table: str):
    connect = odbc_connector(postgres.odbc + "BoolsAsChar=0;", "odbc postgres", 10, None)
    connection = connect()
    try:
        insert_rows(connect, statement(table), frame(20), batch_size=6, workers=4,
                    connection=connection)  # fmt: skip
        connection.rollback()
    finally:
        connection.close()
    loaded = read_postgres(postgres.conninfo, table, "t")
    assert loaded is not None and loaded.height == 0


def test_a_chunk_the_server_refuses_fails_the_load_with_the_servers_message(
    postgres, table: str
) -> None:
    connect = odbc_connector(postgres.odbc + "BoolsAsChar=0;", "odbc postgres", 10, None)
    bad = frame(10).with_columns(pl.lit("not a day").alias("day"))
    with pytest.raises(Exception, match="date"):
        insert_rows(connect, statement(table), bad, batch_size=3, workers=2)


def test_an_unreachable_server_is_a_state_error_naming_what_to_check() -> None:
    text = "Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=1;Database=x;Uid=x;Pwd=x;"
    connect = odbc_connector(text, "odbc nowhere", 2, None)
    with pytest.raises(StateError, match=r"cannot connect to odbc nowhere.*firewall"):
        insert_rows(connect, "SELECT 1", frame(1), batch_size=1, workers=1)


@pytest.mark.parametrize("workers", [1, 3], ids=["one-connection", "three-connections"])
def test_a_frame_of_no_rows_loads_nothing_and_fails_nothing(postgres, table: str, workers: int):
    # An empty source's publish stages no row (tests/unit/stores/test_mssql_empty_first_run.py)
    connect = odbc_connector(postgres.odbc + "BoolsAsChar=0;", "odbc postgres", 10, None)

    insert_rows(connect, statement(table), frame(0), batch_size=7, workers=workers)

    loaded = read_postgres(postgres.conninfo, table, "t")
    assert loaded is not None and loaded.height == 0
