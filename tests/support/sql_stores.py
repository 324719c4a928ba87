"""Reading and tampering with the SQL stores' tables in tests (PostgreSQL through psycopg,
SQLite through the standard library), every row cast back to the polars schema asked for."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import polars as pl

PASSWORD_VARIABLE = "HYGGE_TEST_PG_PASSWORD"


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _frame(names: list[str], rows: list[tuple[object, ...]], schema: pl.Schema | None):
    frame = pl.DataFrame(rows, schema=names, orient="row", infer_schema_length=None)
    if schema is None:
        return frame
    return frame.select(pl.col(name).cast(dtype) for name, dtype in schema.items())


def read_postgres(
    conninfo: str, schema: str, table: str, polars_schema: pl.Schema | None = None
) -> pl.DataFrame | None:
    """Every row of `schema.table` (cast to `polars_schema`); None if there is no such table."""
    import psycopg

    with psycopg.connect(conninfo) as connection:
        found = connection.execute(
            "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relname = %s",
            [schema, table],
        ).fetchall()
        if not found:
            return None
        cursor = connection.execute(f"SELECT * FROM {quoted(schema)}.{quoted(table)}")
        names = [column.name for column in cursor.description or []]
        rows = [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in cursor]
    if polars_schema is not None and not rows:
        return pl.DataFrame(schema=polars_schema)
    return _frame(names, rows, polars_schema)


def execute_postgres(conninfo: str, *statements: str) -> None:
    """Run SQL as a stranger would (a table hygge did not create, a DBA's change)."""
    import psycopg

    with psycopg.connect(conninfo, autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement)


def read_sqlite(
    path: Path, table: str, polars_schema: pl.Schema | None = None
) -> pl.DataFrame | None:
    """Every row of `table` in the SQLite file at `path`; None if there is no such table."""
    if not path.exists():
        return None
    connection = sqlite3.connect(path)
    try:
        found = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [table]
        ).fetchall()
        if not found:
            return None
        cursor = connection.execute(f"SELECT * FROM {quoted(table)}")
        names = [column[0] for column in cursor.description]
        rows = cursor.fetchall()
    finally:
        connection.close()
    if polars_schema is not None and not rows:
        return pl.DataFrame(schema=polars_schema)
    return _frame(names, rows, polars_schema)


def execute_sqlite(path: Path, *statements: str) -> None:
    connection = sqlite3.connect(path)
    try:
        for statement in statements:
            connection.execute(statement)
        connection.commit()
    finally:
        connection.close()
