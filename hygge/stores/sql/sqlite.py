"""`type: sqlite`: an entity's rows in a table of a SQLite database file (the stdlib sqlite3).

    store: {type: sqlite, path: lake.sqlite, table: "{entity}"}     # path: workspace-relative

Batches load into a staging table (`_hygge_stage_…`) by executemany; each step is one
transaction (`BEGIN IMMEDIATE`), the publish with its commit record included. SQLite has no
schemas: hygge's bookkeeping tables are `_hygge_owners`, `_hygge_commits`, … in the same file.

Type map (polars -> SQLite declared type): integers (but UInt64) INTEGER, floats REAL,
String/Categorical/Enum/Null TEXT, Binary BLOB, and as `hygge.io.sqlite_text` keeps them
(the SQLite home reads them back as these types): Decimal DECIMAL_TEXT(p, s) (its exact
digits), Boolean BOOLEAN (0/1), Date DATE, Datetime TIMESTAMP (TIMESTAMPTZ: a datetime with a
time zone, in UTC), Time TIME (ISO-8601 text). UInt64, Duration, lists and structs are refused
(cast them).
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import ClassVar

import polars as pl

from hygge.errors import DataError, EntityLockedError
from hygge.io.sqlite_text import MARK, declared_type, stored_type, to_text
from hygge.stores.sql.dialect import SqlDialect
from hygge.stores.sql.names import TableName

_HEADER = b"SQLite format 3\x00"
_LOCKED = re.compile(r"database (?:table )?is (?:locked|busy)", re.IGNORECASE)
_AFFINITY: dict[type[pl.DataType], str] = {
    pl.Float32: "REAL",
    pl.Float64: "REAL",
    pl.String: "TEXT",
    pl.Categorical: "TEXT",
    pl.Enum: "TEXT",
    pl.Null: "TEXT",
    pl.Binary: "BLOB",
}
_BACK: dict[str, pl.DataType] = {
    "INTEGER": pl.Int64(),
    "REAL": pl.Float64(),
    "BLOB": pl.Binary(),
    "BOOLEAN": pl.Boolean(),
}


def _kind(declared: str) -> str | None:
    """DATE, TIMESTAMP, TIMESTAMPTZ, TIME, DECIMAL_TEXT: a type hygge keeps as text."""
    kept = stored_type(declared)
    if kept is None or kept == pl.Boolean:
        return None
    return declared.strip().split("(")[0].strip().upper()


def affinity(declared: str) -> str:
    """SQLite's column affinity of a declared type (its documented rules, in order)."""
    upper = declared.upper()
    if "INT" in upper:
        return "INTEGER"
    if any(word in upper for word in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if "BLOB" in upper or not upper:
        return "BLOB"
    if any(word in upper for word in ("REAL", "FLOA", "DOUB")):
        return "REAL"
    return "NUMERIC"


class SqliteDialect(SqlDialect):
    name: ClassVar[str] = "sqlite"
    default_schema: ClassVar[str] = "main"
    max_name: ClassVar[int] = 255
    case_insensitive: ClassVar[bool] = True
    widenings: ClassVar[str] = "any type of the same SQLite affinity (INTEGER, REAL, TEXT, …)"

    def hygge_table(self, name: str) -> TableName:
        return TableName("main", f"_hygge_{name}")

    def is_staging(self, table: TableName) -> bool:
        return table.schema == "main" and table.table.startswith("_hygge_stage_")

    def column_type(self, table: TableName, series: pl.Series) -> str:
        dtype = series.dtype
        if dtype.is_integer() and dtype != pl.UInt64:
            return "INTEGER"
        found = _AFFINITY.get(dtype.base_type()) or declared_type(dtype)
        if found is None:
            raise self.refuse(
                table, series.name, dtype,
                "SQLite holds it as nothing that reads back as the same values (integers are "
                "64-bit signed). Cast it in the home (e.g. to Int64 or text), or use a parquet "
                "store",
            )  # fmt: skip
        return found

    def polars_type(self, column_type: str) -> pl.DataType | None:
        kept = stored_type(column_type)  # a date, time or decimal kept as text
        if kept is not None and kept != pl.Boolean:
            return pl.String()
        return _BACK.get(column_type.upper()) or _BACK.get(affinity(column_type))

    def widens(self, old: str, new: str) -> bool:
        """Same affinity; a type hygge keeps as text (DATE, …) only as itself or into a
        plain TEXT column (a table of a hygge that declared them TEXT)."""
        kept_old, kept_new = _kind(old), _kind(new)
        if kept_old and affinity(new) == "TEXT" and not kept_new:
            return True
        if kept_old or kept_new:
            return kept_old == kept_new
        return affinity(old) == affinity(new)

    def kept_types(self, frame: pl.DataFrame) -> dict[str, str]:
        found = {name: declared_type(dtype) for name, dtype in frame.schema.items()}
        return {name: kind for name, kind in found.items() if kind is not None}

    def wire(self, frame: pl.DataFrame) -> pl.DataFrame:
        return to_text(super().wire(frame))

    def kind_query(self, table: TableName) -> tuple[str, list[object]]:
        return (
            "SELECT type FROM sqlite_master WHERE lower(name) = lower(?) "
            "AND type IN ('table', 'view')",
            [table.table],
        )

    def table_kind(self, found: object) -> str:
        return "BASE TABLE" if found == "table" else str(found)

    mark_place: ClassVar[str] = "a comment in the table's creation SQL"

    def mark_query(self, table: TableName) -> tuple[str, list[object]]:
        return "SELECT sql FROM sqlite_master WHERE type = 'table' AND lower(name) = lower(?)", [
            table.table
        ]

    def read_mark(self, found: object) -> str | None:
        mark = MARK.search(str(found or ""))
        return mark.group(1) if mark else None

    def mark_table(self, table: TableName, mark: str) -> list[str]:
        return []  # SQLite keeps no comment: the mark is in the table's creation SQL

    def create_table(
        self, table: TableName, columns: dict[str, str], mark: str | None = None
    ) -> str:
        listed = ", ".join(f"{self.quote(n)} {kind}" for n, kind in columns.items())
        note = f" /* {mark} */" if mark else ""  # kept by ALTER TABLE (rename, add column)
        return f"CREATE TABLE {self.sql(table)}{note} ({listed})"

    def columns_query(self, table: TableName) -> tuple[str, list[object]]:
        return "SELECT name, type FROM pragma_table_info(?)", [table.table]

    def create_records(self) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {self.bookkeeping('owners')} (target TEXT PRIMARY KEY "
            "COLLATE NOCASE, owner TEXT NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {self.bookkeeping('commits')} (target TEXT PRIMARY KEY "
            "COLLATE NOCASE, record TEXT NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {self.bookkeeping('runs')} (target TEXT COLLATE NOCASE,"
            " run_id TEXT, PRIMARY KEY (target, run_id))",
            f"CREATE TABLE IF NOT EXISTS {self.bookkeeping('stagings')} (location TEXT PRIMARY "
            "KEY, target TEXT NOT NULL, run_id TEXT NOT NULL)",
        ]

    def create_schema(self, schema: str) -> list[str]:
        return []

    def alter_column(self, table: TableName, column: str, kind: str) -> list[str]:
        """Asked only of a column hygge keeps as text (DATE, TIMESTAMP, TIME, DECIMAL_TEXT)
        that the data brings as plain text: SQLite cannot change a column's type."""
        raise DataError(
            f"table {table}: column {column} holds a type hygge keeps as ISO text or exact "
            f"digits (its Date, Datetime, Time or Decimal), and the data brings {kind}; "
            "SQLite cannot change a column's type. Cast the column in the home to its "
            "earlier type, or run once with --full-drop to recreate the table"
        )

    def merge(
        self, target: TableName, staging: TableName, columns: Sequence[str], keys: Sequence[str]
    ) -> list[str]:
        listed = ", ".join(self.quote(c) for c in columns)
        conflict = ", ".join(self.quote(k) for k in keys)
        updates = ", ".join(
            f"{self.quote(c)} = excluded.{self.quote(c)}" for c in columns if c not in keys
        )
        action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
        index = f"{self.quote(target.schema)}.{self.quote(self.index_name(target))}"
        return [
            f"CREATE UNIQUE INDEX IF NOT EXISTS {index} ON {self.quote(target.table)} ({conflict})",
            f"INSERT INTO {self.sql(target)} ({listed}) {self.latest(staging, columns, keys)} "
            f"ON CONFLICT ({conflict}) {action}",
        ]


class SqliteSession:
    def __init__(self, connection: sqlite3.Connection, dialect: SqliteDialect) -> None:
        self.connection, self.dialect = connection, dialect

    def execute(self, sql: str, params: Sequence[object] = ()) -> None:
        self.connection.execute(sql, list(params))

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        return [tuple(row) for row in self.connection.execute(sql, list(params)).fetchall()]

    def load(self, table: TableName, frame: pl.DataFrame) -> None:
        listed = ", ".join(self.dialect.quote(c) for c in frame.columns)
        marks = ", ".join("?" * frame.width)
        self.connection.executemany(
            f"INSERT INTO {self.dialect.sql(table)} ({listed}) VALUES ({marks})", frame.rows()
        )


class SqliteDatabase:
    """A SQLite database file; one connection per transaction (`BEGIN IMMEDIATE`)."""

    dialect = SqliteDialect()

    def __init__(self, path: Path, lock_timeout: float = 60) -> None:
        self.path, self.lock_timeout = path, lock_timeout

    @contextlib.contextmanager
    def transaction(self) -> Iterator[SqliteSession]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, isolation_level=None, timeout=self.lock_timeout)
        try:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield SqliteSession(connection, self.dialect)
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        except sqlite3.OperationalError as error:
            if not _LOCKED.search(str(error)):
                raise
            raise self.locked(error) from error
        finally:
            connection.close()

    def locked(self, error: sqlite3.OperationalError) -> EntityLockedError:
        """The busy timeout ran out: another process holds the file's write lock. Not tried
        again, here nor by the engine (the wait was `lock_timeout`, once); the run keeps its
        checkpoint, and a later run, or the orchestrator, may try again."""
        return EntityLockedError(
            f"sqlite database {os.path.realpath(self.path)} is locked ({error}): another "
            f"process holds its write lock, and hygge waited {self.lock_timeout:g} s for it. "
            "Wait for that process (another hygge run, or a tool with the file open in a "
            "write transaction) to finish, then run again; or raise the store's "
            "`lock_timeout` (seconds, SQLite's busy timeout) to wait longer"
        )

    def label(self) -> str:
        return f"sqlite {os.path.realpath(self.path)}"

    def missing(self) -> bool:
        return not self.path.exists()

    def problem(self) -> str | None:
        real = Path(os.path.realpath(self.path))
        via = f" (a link to {real})" if real != self.path.absolute() else ""
        if not real.exists():
            return None
        if real.is_file():
            with real.open("rb") as handle:
                head = handle.read(16)
            if head in (_HEADER, b""):
                return None
        found = "a folder" if real.is_dir() else "a file of another kind"
        return (
            f"{self.path}{via} is {found}, not a SQLite database; hygge will not overwrite it. "
            "Point the store's `path` at a new file (e.g. lake.sqlite) or at a SQLite database"
        )
