"""The embedded databases' drivers: sqlite3 (the standard library) and DuckDB (Arrow)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path

import polars as pl

from hygge.errors import DataError, MissingDependencyError
from hygge.homes.sql.dialect import DUCKDB, SQLITE
from hygge.homes.sql.drivers import SqlSchema, arrow_frames, fetched, frame_from_arrow
from hygge.io.sqlite_text import bound


def _existing(path: Path, kind: str) -> Path:
    """A home reads an existing database; connecting would create an empty one."""
    if not path.is_file():
        raise DataError(
            f"{kind} database {path} does not exist; check the home's `path` (relative to the "
            "workspace root) or its connection's"
        )
    return path


def _bound(params: Sequence[object]) -> list[object]:
    """Values bound as the text hygge's SQLite store writes (dates, times, decimals)."""
    return [bound(value) for value in params]


class SqliteSession:
    """A read-only sqlite3 connection; `fetchmany` rows typed by their values."""

    def __init__(self, path: Path) -> None:
        uri = f"{_existing(path, 'sqlite').resolve().as_uri()}?mode=ro"
        self.connection = sqlite3.connect(uri, uri=True, check_same_thread=False)

    def columns(self, sql: str, params: Sequence[object]) -> SqlSchema:
        cursor = self.connection.execute(sql, _bound(params))
        try:
            return {column[0]: None for column in cursor.description or []}
        finally:
            cursor.close()

    def first(self, sql: str, params: Sequence[object]) -> tuple[object, ...] | None:
        row = self.connection.execute(sql, _bound(params)).fetchone()
        return tuple(row) if row is not None else None

    def stream(self, sql: str, params: Sequence[object], batch_size: int) -> Iterator[pl.DataFrame]:
        cursor = self.connection.execute(sql, _bound(params))
        try:
            schema: SqlSchema = {column[0]: None for column in cursor.description or []}
            yield from fetched(cursor, schema, batch_size)
        finally:
            cursor.close()

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

    def __init__(self, kind: str, path: Path, label: str) -> None:
        self.kind = kind
        self.path = path
        self.label = label
        self.dialect = SQLITE if kind == "sqlite" else DUCKDB

    def connect(self) -> SqliteSession | DuckdbSession:
        return SqliteSession(self.path) if self.kind == "sqlite" else DuckdbSession(self.path)

    def describe(self) -> str:
        return f"{self.kind} {self.label}"
