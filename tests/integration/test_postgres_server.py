"""The test session's PostgreSQL (tests/support/postgres.py): local, password-protected, real."""

from __future__ import annotations

import psycopg
import pyodbc
import pytest

pytestmark = pytest.mark.postgres


def test_the_server_listens_on_loopback_and_asks_for_the_password(postgres):
    assert postgres.host == "127.0.0.1"
    with psycopg.connect(postgres.conninfo) as connection:
        (address,) = connection.execute("SELECT inet_server_addr()::text").fetchone()
    assert address.startswith("127.0.0.1")
    wrong = postgres.conninfo.replace(postgres.password, "not-the-password")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(wrong)


def test_the_odbc_driver_reaches_it_through_unixodbc(postgres):
    with pyodbc.connect(postgres.odbc) as connection:
        assert connection.getinfo(pyodbc.SQL_DRIVER_NAME).lower().startswith("psqlodbc")
        assert connection.cursor().execute("SELECT 1 + ?", 41).fetchone()[0] == 42
