"""`type: postgres`: an entity's rows in a PostgreSQL table, through ADBC (Arrow-native).

    connections: {pg: {type: postgres, url: postgresql://loader@db:5432/sales}}
    store: {type: postgres, connection: pg, table: public."{entity}"}

Batches load into the staging table by ADBC's bulk ingest (binary COPY from Arrow, measured
faster than psycopg's binary COPY row by row: README.md, Stores, PostgreSQL); every statement
and the ingest of one step run in one transaction of one connection. Connections are kept
open per process and reused (`pool_size` idle ones at most), and closed when the process
exits (left to ADBC's `__del__` at interpreter teardown, they printed a TypeError).
"""

from __future__ import annotations

import atexit
import contextlib
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from hygge.errors import MissingDependencyError, UnreachableError
from hygge.stores.sql.names import TableName
from hygge.stores.sql.postgres_dialect import PostgresDialect

if TYPE_CHECKING:
    import polars as pl

_MARKS = re.compile(r"%%|%s")
_IDLE: dict[str, list[Any]] = {}
_IDLE_LOCK = threading.Lock()
_POOL = 4  # idle connections kept per database


def numbered(sql: str) -> str:
    """psycopg's `%s` markers (and `%%` for a `%`) as PostgreSQL's `$1`, `$2`, …"""
    count = 0

    def mark(found: re.Match[str]) -> str:
        nonlocal count
        if found.group() == "%%":
            return "%"
        count += 1
        return f"${count}"

    return _MARKS.sub(mark, sql)


class PostgresSession:
    """One transaction on an ADBC connection."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def execute(self, sql: str, params: Sequence[object] = ()) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(numbered(sql), list(params) or None)

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        with self.connection.cursor() as cursor:
            cursor.execute(numbered(sql), list(params) or None)
            return [tuple(row) for row in cursor.fetchall()]

    def load(self, table: TableName, frame: pl.DataFrame) -> None:
        with self.connection.cursor() as cursor:
            cursor.adbc_ingest(
                table.table, frame.to_arrow(), mode="append", db_schema_name=table.schema
            )


class PostgresDatabase:
    """A PostgreSQL database reached by ADBC; connections reused within the process."""

    dialect = PostgresDialect()

    def __init__(self, params: Mapping[str, str], label: str) -> None:
        self.uri = libpq_uri(params)
        self._label = label

    @contextlib.contextmanager
    def transaction(self) -> Iterator[PostgresSession]:
        connection = self._take()
        try:
            yield PostgresSession(connection)
        except BaseException:
            _quietly_close(connection)  # a failed statement may leave it unusable
            self._drop_idle()  # a lost server loses every connection kept: start afresh
            raise
        try:
            connection.commit()
        except BaseException:
            _quietly_close(connection)
            raise
        self._give_back(connection)

    def label(self) -> str:
        return self._label

    def missing(self) -> bool:
        return False

    def problem(self) -> str | None:
        return None

    def _take(self) -> Any:
        with _IDLE_LOCK:
            idle = _IDLE.setdefault(self.uri, [])
            if idle:
                return idle.pop()
        try:
            import adbc_driver_postgresql.dbapi as adbc
        except ImportError as error:
            raise MissingDependencyError("adbc-driver-postgresql", "postgres") from error
        try:
            return adbc.connect(self.uri)
        except Exception as error:
            raise UnreachableError(
                f"cannot connect to {self._label}: {error}. Check the server is running and "
                "reachable (host, port, firewall), and the user, password and database"
            ) from error

    def _drop_idle(self) -> None:
        with _IDLE_LOCK:
            idle = _IDLE.pop(self.uri, [])
        for connection in idle:
            _quietly_close(connection)

    def _give_back(self, connection: Any) -> None:
        with _IDLE_LOCK:
            idle = _IDLE.setdefault(self.uri, [])
            if len(idle) < _POOL:
                idle.append(connection)
                return
        _quietly_close(connection)


def _quietly_close(connection: Any) -> None:
    with contextlib.suppress(Exception):
        connection.rollback()
    with contextlib.suppress(Exception):
        connection.close()


def close_connections() -> None:
    """Close every idle connection this process keeps."""
    with _IDLE_LOCK:
        for idle in _IDLE.values():
            for connection in idle:
                _quietly_close(connection)
        _IDLE.clear()


atexit.register(close_connections)


def libpq_uri(params: Mapping[str, str]) -> str:
    """A postgresql:// URI of libpq keywords (each part percent-encoded)."""
    user = quote(params.get("user", ""), safe="")
    password = params.get("password")
    auth = f"{user}:{quote(password, safe='')}@" if password is not None else f"{user}@"
    host, port, dbname = params.get("host", ""), params.get("port", "5432"), params["dbname"]
    rest = "&".join(
        f"{key}={quote(value, safe='')}"
        for key, value in params.items()
        if key not in {"user", "password", "host", "port", "dbname"}
    )
    return f"postgresql://{auth}{quote(host, safe='')}:{port}/{quote(dbname, safe='')}?{rest}"
