"""The bulk path of the mssql store: pyodbc `fast_executemany` over parallel connections.

A batch is cut into `batch_size` rows per executemany (the original's 102,400: a columnstore
rowgroup) and its chunks spread over `parallel_workers` connections, each committing its own
rows into the staging table. The code is plain ODBC: tests run it for real against PostgreSQL
through unixODBC and psqlODBC, with PostgreSQL's quoting of the same INSERT.
"""

from __future__ import annotations

import contextlib
import struct
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import polars as pl

from hygge.errors import MissingDependencyError, UnreachableError

SQL_COPT_SS_ACCESS_TOKEN = 1256
TOKEN_SCOPE = "https://database.windows.net/.default"
REFRESH_BEFORE = 300  # seconds before expiry a token is fetched again

Connect = Callable[[], Any]
"""Opens a pyodbc connection (autocommit off)."""


class AccessToken:
    """An Azure AD token for Azure SQL from DefaultAzureCredential, fetched again near expiry,
    as the ODBC driver takes it (SQL_COPT_SS_ACCESS_TOKEN)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.token: tuple[str, float] | None = None

    def attribute(self) -> bytes:
        with self.lock:
            if self.token is None or self.token[1] - time.time() < REFRESH_BEFORE:
                try:
                    from azure.identity import DefaultAzureCredential
                except ImportError as error:
                    raise MissingDependencyError("azure-identity", "mssql") from error
                found = DefaultAzureCredential().get_token(TOKEN_SCOPE)
                self.token = (found.token, float(found.expires_on))
            encoded = self.token[0].encode("utf-16-le")
        return struct.pack("<I", len(encoded)) + encoded


def odbc_connector(text: str, label: str, timeout: int, token: AccessToken | None) -> Connect:
    """A function opening pyodbc connections with `text` (and the token, if any)."""

    def connect() -> Any:
        try:
            import pyodbc
        except ImportError as error:
            raise MissingDependencyError("pyodbc", "mssql") from error
        before = {SQL_COPT_SS_ACCESS_TOKEN: token.attribute()} if token is not None else None
        try:
            return pyodbc.connect(text, timeout=timeout, attrs_before=before, autocommit=False)
        except pyodbc.Error as error:
            raise UnreachableError(
                f"cannot connect to {label}: {error}. Check the ODBC driver is installed "
                "(`odbcinst -q -d`), the server is reachable (firewall), and the login"
            ) from error

    return connect


def rows_of(frame: pl.DataFrame) -> list[tuple[object, ...]]:
    """The rows as pyodbc binds them (Python values; None for null)."""
    return frame.rows()


def insert_rows(
    connect: Connect,
    statement: str,
    frame: pl.DataFrame,
    *,
    batch_size: int,
    workers: int,
    connection: Any = None,
) -> None:
    """Insert `frame` with `statement` (`INSERT … VALUES (?, …)`) by fast_executemany, in
    chunks of `batch_size` rows over `workers` connections (each commits its own), or all in
    `connection` (not committed here) when one is given."""
    chunks = [frame.slice(at, batch_size) for at in range(0, frame.height, batch_size)]
    if connection is not None:
        for chunk in chunks:
            _execute_many(connection, statement, chunk)
        return
    if workers <= 1 or len(chunks) <= 1:
        with _committed(connect) as own:
            for chunk in chunks:
                _execute_many(own, statement, chunk)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hygge-odbc") as pool:
        spread = [chunks[i::workers] for i in range(workers)]
        for done in [pool.submit(_load_chunks, connect, statement, part) for part in spread]:
            done.result()


def _load_chunks(connect: Connect, statement: str, chunks: list[pl.DataFrame]) -> None:
    with _committed(connect) as connection:
        for chunk in chunks:
            _execute_many(connection, statement, chunk)


@contextlib.contextmanager
def _committed(connect: Connect) -> Iterator[Any]:
    connection = connect()
    try:
        yield connection
        connection.commit()
    except BaseException:
        with contextlib.suppress(Exception):
            connection.rollback()
        raise
    finally:
        connection.close()


def _execute_many(connection: Any, statement: str, chunk: pl.DataFrame) -> None:
    cursor = connection.cursor()
    try:
        cursor.fast_executemany = True
        cursor.executemany(statement, rows_of(chunk))
    finally:
        cursor.close()
