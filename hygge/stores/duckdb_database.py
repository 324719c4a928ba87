"""One DuckDB database file per process: opened once, shared by every entity's store.

DuckDB lets one process write a database file at a time (it locks the file). A process keeps
one connection per file and gives each transaction its own cursor under a lock, so the
entities of a flow moving in parallel threads share it safely; a second process (another
`hygge go`) gets `EntityLockedError` saying which process holds the file.

A path is opened only if it is missing or already a DuckDB database (its header says so,
through any symlinks): a parquet file, a folder or anyone else's file there is refused with
StoreOwnershipError, never overwritten.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from hygge.errors import (
    EntityLockedError,
    MissingDependencyError,
    StateError,
    StoreOwnershipError,
)

if TYPE_CHECKING:
    import duckdb

_MAGIC = b"DUCK"  # at byte 8 of every DuckDB database file
_KNOWN = {b"PAR1": "a parquet file", b"SQLite format 3": "a SQLite database", b"PK": "a zip file"}
_OPEN: dict[str, Database] = {}
_OPENING = threading.Lock()


def import_duckdb() -> ModuleType:
    """The duckdb module, or MissingDependencyError with the install command."""
    try:
        import duckdb
    except ImportError as error:
        raise MissingDependencyError("duckdb", "duckdb") from error
    return duckdb


def path_problem(path: Path) -> str | None:
    """None if `path` is missing or a DuckDB database; else what is there and what to do."""
    real = Path(os.path.realpath(path))
    via = f" (a link to {real})" if real != path.absolute() else ""
    if not real.exists():
        return _orphan_wal(path, real)
    if real.is_dir():
        found = "a folder"
    elif not real.is_file():
        found = "something that is not a file"
    else:
        with real.open("rb") as handle:
            head = handle.read(16)
        if head[8:12] == _MAGIC:
            return None
        found = _what(head)
    return (
        f"{path}{via} is {found}, not a DuckDB database; hygge will not overwrite it. "
        "Point the store's `path` at a new file (e.g. lake.duckdb) or at an existing DuckDB "
        "database"
    )


def _orphan_wal(path: Path, real: Path) -> str | None:
    """A `<file>.wal` with no database beside it: DuckDB would take it for the write-ahead log
    of the database it creates and discard it, and hygge did not write it."""
    wal = real.with_name(real.name + ".wal")
    if not os.path.lexists(wal):
        return None
    return (
        f"{wal} exists but {path} does not: creating the database would make DuckDB read that "
        "file as its write-ahead log and discard it, and hygge did not write it. Move it away "
        "(or restore the database it belongs to), or point the store's `path` at another file"
    )


def _what(head: bytes) -> str:
    if not head:
        return "an empty file"
    for magic, name in _KNOWN.items():
        if head.startswith(magic):
            return name
    return "a file of another kind"


class Database:
    """A process's connection to one DuckDB file; transactions one at a time."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self.connection = connection
        self.lock = threading.RLock()
        self.records_ready = False  # hygge's `_hygge` tables exist (set by the store)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor in one transaction: committed on success, rolled back on any error."""
        with self.lock:
            cursor = self.connection.cursor()
            try:
                cursor.execute("BEGIN TRANSACTION")
                try:
                    yield cursor
                except BaseException:
                    cursor.execute("ROLLBACK")
                    raise
                cursor.execute("COMMIT")
            finally:
                cursor.close()


def open_database(path: Path) -> Database:
    """The process's `Database` for `path`, opened (and created) on first use."""
    duckdb = import_duckdb()
    real = os.path.realpath(path)
    with _OPENING:
        found = _OPEN.get(real)
        if found is not None:
            return found
        problem = path_problem(path)
        if problem:
            raise StoreOwnershipError(problem)
        Path(real).parent.mkdir(parents=True, exist_ok=True)
        try:
            connection = duckdb.connect(real)
        except duckdb.IOException as error:
            raise _locked(path, error) from error
        database = Database(connection)
        _OPEN[real] = database
        return database


def close_databases() -> None:
    """Close every database this process opened (checkpointing their WAL); next use reopens."""
    with _OPENING:
        for database in _OPEN.values():
            with database.lock:
                database.connection.close()
        _OPEN.clear()


def _locked(path: Path, error: Exception) -> Exception:
    text = str(error)
    if "lock" not in text.lower():
        return StateError(
            f"cannot open DuckDB database {path}: {text}. Check that the file is readable "
            "and writable, and that its folder exists"
        )
    held = text.split("Conflicting lock is held in", 1)[-1].split(". See", 1)[0].strip()
    who = f" ({held})" if held and held != text else ""
    return EntityLockedError(
        f"DuckDB database {path} is open in another process{who}: DuckDB lets one process "
        "write a database file at a time. Wait for that run (another `hygge go`, or a DuckDB "
        "session) to finish, or give this store another `path`"
    )


atexit.register(close_databases)
