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
    return frame.select(_decoded(frame, name, dtype) for name, dtype in schema.items())


def _decoded(frame: pl.DataFrame, name: str, dtype: pl.DataType) -> pl.Expr:
    """Column `name` as `dtype`; ISO text (SQLite's dates, times, timestamps) parsed."""
    column = pl.col(name)
    if frame.schema[name] != pl.String:
        return column.cast(dtype)
    if isinstance(dtype, pl.Datetime):
        parsed = column.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_unit=dtype.time_unit)
        if dtype.time_zone:
            parsed = parsed.dt.replace_time_zone("UTC").dt.convert_time_zone(dtype.time_zone)
        return parsed
    if isinstance(dtype, pl.Date):
        return column.str.to_date("%Y-%m-%d")
    if isinstance(dtype, pl.Time):
        return column.str.to_time("%H:%M:%S%.f")
    return column.cast(dtype)


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
