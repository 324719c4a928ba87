"""The mssql store's pyodbc session run for real through unixODBC + psqlODBC (SQL Server
cannot run here): a batch whose first statements return no rows (the publish lock's `SET
NOCOUNT ON; DECLARE …; EXEC …; SELECT @granted`) is read past them to its result."""

from __future__ import annotations

import pytest

from hygge.stores.sql.mssql import MssqlDatabase
from hygge.stores.sql.odbc_load import odbc_connector

pytestmark = pytest.mark.postgres


def _database(postgres) -> MssqlDatabase:
    connect = odbc_connector(postgres.odbc, "odbc postgres", 10, None)
    return MssqlDatabase(connect, "odbc postgres", columnstore=False, batch_size=10, workers=1)


def test_rows_of_a_batch_are_its_result_past_the_statements_before_it(postgres) -> None:
    database = _database(postgres)
    batch = (
        "SET LOCAL lock_timeout = '2s'; CREATE TEMP TABLE granted (code int); "
        "INSERT INTO granted VALUES (-1); SELECT code FROM granted"
    )

    with database.transaction() as session:
        assert session.rows(batch) == [(-1,)]
        assert session.rows("SELECT 1") == [(1,)]  # one result: as before


def test_a_batch_of_no_result_at_all_is_an_error_as_before(postgres) -> None:
    import pyodbc

    database = _database(postgres)
    with pytest.raises(pyodbc.ProgrammingError), database.transaction() as session:
        session.rows("CREATE TEMP TABLE nothing (x int)")
