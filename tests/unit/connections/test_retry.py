"""Transient and permanent database errors of each driver's shape, and the retry helper."""

from __future__ import annotations

import logging
import sqlite3

import pytest

from hygge.connections.retry import Retrier, RetryPolicy, classify, retrying
from hygge.errors import ConfigError, DataError, RetryableError


class PsycopgLikeError(Exception):
    """psycopg's errors carry the SQLSTATE as `sqlstate`."""

    def __init__(self, message: str, sqlstate: str | None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


class PyodbcLikeError(Exception):
    """pyodbc's errors are (sqlstate, message) with SQL Server's number in the message."""


class AdbcLikeError(Exception):
    def __init__(self, message: str, sqlstate: str | None, vendor_code: int | None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate
        self.vendor_code = vendor_code


@pytest.mark.parametrize(
    "error",
    [
        PsycopgLikeError("terminating connection due to administrator command", "57P01"),
        PsycopgLikeError("could not serialize access due to concurrent update", "40001"),
        PsycopgLikeError("deadlock detected", "40P01"),
        PsycopgLikeError("server closed the connection unexpectedly", None),
        PyodbcLikeError(
            "08S01", "[Microsoft][ODBC Driver 18 for SQL Server]Communication link failure"
        ),
        PyodbcLikeError(
            "40001",
            "[Microsoft][ODBC Driver 18 for SQL Server][SQL Server]Transaction (Process ID 52) "
            "was deadlocked on lock resources with another process (1205) (SQLExecDirectW)",
        ),
        PyodbcLikeError("42000", "[SQL Server]Database 'db' is not currently available (40613)"),
        PyodbcLikeError("42000", "[SQL Server]The service is currently busy (40501)"),
        PyodbcLikeError("42000", "[SQL Server]Resource ID : 1. The request limit is 30 (10928)"),
        PyodbcLikeError("42000", "[SQL Server]Resource ID : 1 (10929)"),
        PyodbcLikeError("42000", "[SQL Server]elastic pool throttled (49918)"),
        PyodbcLikeError("42000", "[SQL Server]elastic pool throttled (49920)"),
        AdbcLikeError("[libpq] server closed the connection", "08006", None),
        AdbcLikeError("throttled", None, 40501),
        sqlite3.OperationalError("database is locked"),
        RuntimeError('IO Error: Could not set lock on file "lake.duckdb": Conflicting lock'),
        ConnectionResetError("reset by peer"),
    ],
)
def test_transient_errors_of_every_driver(error: Exception) -> None:
    assert classify(error).transient, error


@pytest.mark.parametrize(
    ("error", "advice"),
    [
        (PsycopgLikeError('password authentication failed for user "u"', "28P01"), "password"),
        (PsycopgLikeError('relation "public.nope" does not exist', "42P01"), "table name"),
        (PsycopgLikeError("permission denied for table orders", "42501"), "GRANT SELECT"),
        (PsycopgLikeError('FATAL:  database "nodb" does not exist', None), "database"),
        (PyodbcLikeError("28000", "[SQL Server]Login failed for user 'u'. (18456)"), "password"),
        (
            PyodbcLikeError("42S02", "[SQL Server]Invalid object name 'dbo.nope'. (208)"),
            "table name",
        ),
        (
            PyodbcLikeError(
                "42000",
                "[SQL Server]Client with IP address '1.2.3.4' is not allowed to "
                "access the server. (40615)",
            ),
            "firewall",
        ),
        (sqlite3.OperationalError("no such table: nope"), "table name"),
    ],
)
def test_permanent_errors_fail_fast_with_advice(error: Exception, advice: str) -> None:
    failure = classify(error)
    assert not failure.transient
    slept: list[float] = []
    with pytest.raises(DataError) as caught:
        retrying(_raising(error), "reading t", RetryPolicy(sleep=slept.append))
    assert slept == []  # not one retry
    assert failure.message in str(caught.value) and advice in str(caught.value)
    assert str(caught.value).startswith("reading t: ")


def _raising(error: Exception):  # type: ignore[no-untyped-def]
    def operation() -> None:
        raise error

    return operation


def test_transient_errors_are_retried_with_jittered_exponential_backoff(caplog) -> None:
    calls: list[int] = []
    slept: list[float] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 4:
            raise PsycopgLikeError("server closed the connection unexpectedly", None)
        return "rows"

    policy = RetryPolicy(attempts=5, base=1.0, cap=3.0, sleep=slept.append, jitter=lambda: 1.0)
    with caplog.at_level(logging.WARNING, logger="hygge.connections"):
        assert retrying(flaky, "reading t", policy) == "rows"
    assert slept == [1.0, 2.0, 3.0]  # doubling, capped at 3s
    retries = [r.getMessage() for r in caplog.records]
    assert len(retries) == 3 and "retry 1 of 4" in retries[0] and "reading t" in retries[0]


def test_jitter_keeps_waits_between_half_and_all_of_the_backoff() -> None:
    low = RetryPolicy(base=2.0, jitter=lambda: 0.0)
    assert low.delay(1) == 1.0 and low.delay(3) == 4.0
    assert RetryPolicy(base=2.0, cap=5.0, jitter=lambda: 0.0).delay(10) == 2.5


def test_attempts_are_bounded_and_end_in_a_retryable_error() -> None:
    slept: list[float] = []
    error = PsycopgLikeError("deadlock detected", "40P01")
    with pytest.raises(RetryableError) as caught:
        retrying(_raising(error), "reading t", RetryPolicy(attempts=3, sleep=slept.append))
    assert len(slept) == 2
    assert "3 tries in a row" in str(caught.value) and "deadlock detected" in str(caught.value)


@pytest.mark.parametrize(
    "error",
    [
        sqlite3.OperationalError("database is locked"),
        RuntimeError('IO Error: Could not set lock on file "lake.duckdb": Conflicting lock'),
    ],
    ids=["sqlite", "duckdb"],
)
def test_a_lock_that_outlasts_the_attempts_is_told_as_a_lock_not_a_network_failure(error) -> None:
    with pytest.raises(RetryableError) as caught:
        retrying(_raising(error), "publish to t", RetryPolicy(attempts=2, sleep=lambda _: None))

    said = str(caught.value)
    assert "Another process holds a lock on the database file" in said, said
    assert "firewall" not in said and "host, port" not in said, said


def test_progress_starts_the_count_again_and_hygge_errors_pass_through() -> None:
    retrier = Retrier("reading t", RetryPolicy(attempts=2, sleep=lambda _: None))
    transient = ConnectionResetError("reset")
    retrier.failed(transient)
    retrier.progressed()
    retrier.failed(transient)  # not the second in a row: waits again
    assert retrier.retried == 2
    with pytest.raises(ConfigError):
        retrier.failed(ConfigError("bad"))


@pytest.mark.parametrize(
    "error",
    [
        PsycopgLikeError('relation "_hygge.owners" does not exist', "42P01"),
        PyodbcLikeError("42S02", "[SQL Server]Invalid object name '_hygge.commits'. (208)"),
        sqlite3.OperationalError("no such table: _hygge_owners"),
        RuntimeError("Catalog Error: Table with name commits does not exist! (schema _hygge)"),
    ],
)
def test_a_missing_bookkeeping_table_of_a_store_is_named_as_hyggees_own(error: Exception) -> None:
    retrier = Retrier("cannot publish to postgres db/sales public.orders", side="store")
    with pytest.raises(DataError) as caught:
        retrier.failed(error)
    text = str(caught.value)
    assert "home's" not in text and "_hygge" in text
    assert "bookkeeping" in text and "hygge go" in text


@pytest.mark.parametrize(
    ("error", "table"),
    [
        (PsycopgLikeError('relation "public.orders" does not exist', "42P01"), "public.orders"),
        (
            PyodbcLikeError("42S02", "[SQL Server]Invalid object name 'dbo.orders'. (208)"),
            "dbo.orders",
        ),
        (sqlite3.OperationalError("no such table: orders"), "orders"),
    ],
)
def test_a_missing_table_of_a_store_names_it_and_the_stores_table(error, table) -> None:
    retrier = Retrier("cannot publish to x", side="store")
    with pytest.raises(DataError) as caught:
        retrier.failed(error)
    text = str(caught.value)
    assert "home's" not in text and "store's `table:`" in text and f"`{table}`" in text


def test_a_missing_table_of_a_home_names_the_homes_table() -> None:
    error = PsycopgLikeError('relation "public.nope" does not exist', "42P01")
    with pytest.raises(DataError) as caught:
        retrying(_raising(error), "reading t", RetryPolicy(sleep=lambda _: None))
    assert "home's `table:`" in str(caught.value) and "`public.nope`" in str(caught.value)
