"""Source tables for the SQL home tests: a polars frame written into PostgreSQL, SQLite or
DuckDB (created on the first write, an `id` column as the primary key), so a test can say
`add(frame)` and read it back through a home."""

from __future__ import annotations

from pathlib import Path

import polars as pl

# polars type -> the PostgreSQL column type the tests create.
_POSTGRES_TYPES = {
    pl.Int8: "smallint",
    pl.Int16: "smallint",
    pl.Int32: "integer",
    pl.Int64: "bigint",
    pl.Float32: "real",
    pl.Float64: "double precision",
    pl.String: "text",
    pl.Binary: "bytea",
    pl.Boolean: "boolean",
    pl.Date: "date",
    pl.Time: "time",
}


def postgres_type(dtype: pl.DataType) -> str:
    if isinstance(dtype, pl.Decimal):
        return f"numeric({dtype.precision}, {dtype.scale})"
    if isinstance(dtype, pl.Datetime):
        return "timestamptz" if dtype.time_zone else "timestamp"
    return _POSTGRES_TYPES[type(dtype)]


def _columns(frame: pl.DataFrame, type_of) -> str:
    key = ", PRIMARY KEY (id)" if "id" in frame.columns else ""
    names = ", ".join(
        '"' + name.replace('"', '""') + f'" {type_of(dtype)}'
        for name, dtype in frame.schema.items()
    )
    return f"({names}{key})"


def write_postgres(conninfo: str, table: str, frame: pl.DataFrame) -> None:
    """Insert `frame` into `table` (schema-qualified names quoted), creating it first."""
    import psycopg

    with psycopg.connect(conninfo) as connection:
        connection.execute(f"CREATE TABLE IF NOT EXISTS {table} {_columns(frame, postgres_type)}")
        if frame.height:
            marks = ", ".join(["%s"] * frame.width)
            with connection.cursor() as cursor:
                cursor.executemany(f"INSERT INTO {table} VALUES ({marks})", frame.rows())


def _sqlite_type(dtype: pl.DataType) -> str:
    if dtype.is_integer() or dtype == pl.Boolean:
        return "INTEGER"
    if dtype.is_float():
        return "REAL"
    return "BLOB" if dtype == pl.Binary else "TEXT"


def write_sqlite(path: Path, table: str, frame: pl.DataFrame) -> None:
    import sqlite3

    with sqlite3.connect(path) as connection:
        connection.execute(f"CREATE TABLE IF NOT EXISTS {table} {_columns(frame, _sqlite_type)}")
        marks = ", ".join(["?"] * frame.width)
        rows = [
            tuple(v.isoformat() if hasattr(v, "isoformat") else v for v in row)
            for row in frame.rows()
        ]
        connection.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
    connection.close()


def write_duckdb(path: Path, table: str, frame: pl.DataFrame) -> None:
    import duckdb

    with duckdb.connect(str(path)) as connection:
        connection.register("incoming", frame.to_arrow())
        exists = connection.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [table.strip('"')]
        ).fetchone()
        if not exists or not exists[0]:
            connection.execute(f"CREATE TABLE {table} AS SELECT * FROM incoming LIMIT 0")
            if "id" in frame.columns:
                connection.execute(f"ALTER TABLE {table} ADD PRIMARY KEY (id)")
        connection.execute(f"INSERT INTO {table} SELECT * FROM incoming")
