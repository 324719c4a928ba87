"""The embedded databases' drivers: sqlite3 (the standard library) and DuckDB (Arrow)."""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path

import polars as pl

from hygge.errors import DataError, EntityLockedError, MissingDependencyError
from hygge.homes.sql.dialect import DUCKDB, SQLITE
from hygge.homes.sql.drivers import SqlSchema, arrow_frames, frame_from_arrow, frame_from_rows
from hygge.io.sqlite_text import bound


def _existing(path: Path, kind: str) -> Path:
    """A home reads an existing database; connecting would create an empty one."""
    if not path.is_file():
        raise DataError(
            f"{kind} database {path} does not exist; check the home's `path` (relative to the "
            "workspace root) or its connection's"
        )
    return path


_LOCKED = re.compile(r"database (?:table )?is (?:locked|busy)", re.IGNORECASE)


def _bound(params: Sequence[object]) -> list[object]:
    """Values bound as the text hygge's SQLite store writes (dates, times, decimals)."""
    return [bound(value) for value in params]


class SqliteSession:
    """A read-only sqlite3 connection; `fetchmany` rows typed by their values. A read that
    another process's write lock blocks waits `lock_timeout` (SQLite's busy timeout), once,
    then fails naming the file (EntityLockedError: not tried again by the engine)."""

    def __init__(self, path: Path, lock_timeout: float = 60) -> None:
        self.path, self.lock_timeout = path, lock_timeout
        uri = f"{_existing(path, 'sqlite').resolve().as_uri()}?mode=ro"
        self.connection = sqlite3.connect(
            uri, uri=True, check_same_thread=False, timeout=lock_timeout
        )

    def columns(self, sql: str, params: Sequence[object]) -> SqlSchema:
        with self._unlocked():
            cursor = self.connection.execute(sql, _bound(params))
        try:
            return {column[0]: None for column in cursor.description or []}
        finally:
            cursor.close()

    def first(self, sql: str, params: Sequence[object]) -> tuple[object, ...] | None:
        with self._unlocked():
            row = self.connection.execute(sql, _bound(params)).fetchone()
        return tuple(row) if row is not None else None

    def stream(self, sql: str, params: Sequence[object], batch_size: int) -> Iterator[pl.DataFrame]:
        with self._unlocked():
            cursor = self.connection.execute(sql, _bound(params))
        try:
            schema: SqlSchema = {column[0]: None for column in cursor.description or []}
            learned: SqlSchema = {}  # as `fetched`, each fetch inside the lock's wait
            while True:
                with self._unlocked():
                    rows = cursor.fetchmany(batch_size)
                if not rows:
                    return
                yield frame_from_rows(rows, schema, learned)
        finally:
            cursor.close()

    @contextlib.contextmanager
    def _unlocked(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.OperationalError as error:
            if not _LOCKED.search(str(error)):
                raise
            raise EntityLockedError(
                f"sqlite database {os.path.realpath(self.path)} is locked ({error}): another "
                "process holds a lock that keeps readers out (a write being committed, or an "
                f"exclusive transaction), and hygge waited {self.lock_timeout:g} s for it. "
                "Wait for that process to finish, then run again; or raise the home's "
                "`lock_timeout` (seconds, SQLite's busy timeout) to wait longer"
            ) from error

    def close(self) -> None:
        self.connection.close()


class DuckdbSession:
    """A read-only DuckDB connection; results stream as Arrow record batches."""

    def __init__(self, path: Path) -> None:
        try:
            import duckdb
        except ImportError as exc:
            raise MissingDependencyError("duckdb", "duckdb") from exc
        try:
            self.connection = duckdb.connect(str(_existing(path, "duckdb")), read_only=True)
        except duckdb.ConnectionException as exc:
            if "different configuration" not in str(exc):
                raise
            raise DataError(
                f"the duckdb home cannot read {path}: this process has the same file open for "
                "writing (a duckdb store of this workspace writes to it), and DuckDB opens a "
                "file in one process only one way, not read-only beside read-write. Give the "
                "store another database file (or read the home from a copy of this one)"
            ) from exc

    def columns(self, sql: str, params: Sequence[object]) -> SqlSchema:
        empty = frame_from_arrow(self.connection.sql(sql, params=list(params)).to_arrow_table())
        return dict(empty.schema.items())

    def first(self, sql: str, params: Sequence[object]) -> tuple[object, ...] | None:
        row = self.connection.execute(sql, list(params)).fetchone()
        return tuple(row) if row is not None else None

    def stream(self, sql: str, params: Sequence[object], batch_size: int) -> Iterator[pl.DataFrame]:
        result = self.connection.sql(sql, params=list(params))
        reader = result.to_arrow_reader(batch_size)
        assert reader is not None  # a statement that returns rows
        yield from arrow_frames(reader, batch_size)

    def close(self) -> None:
        self.connection.close()


class FileDatabaseDriver:
    """Sessions of one embedded database file: `sqlite` or `duckdb`."""

    def __init__(self, kind: str, path: Path, label: str, lock_timeout: float = 60) -> None:
        self.kind = kind
        self.path = path
        self.label = label
        self.lock_timeout = lock_timeout  # sqlite: the busy timeout of a blocked read
        self.dialect = SQLITE if kind == "sqlite" else DUCKDB

    def connect(self) -> SqliteSession | DuckdbSession:
        if self.kind == "sqlite":
            return SqliteSession(self.path, self.lock_timeout)
        return DuckdbSession(self.path)

    def describe(self) -> str:
        return f"{self.kind} {self.label}"
