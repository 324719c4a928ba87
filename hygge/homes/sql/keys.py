"""A table's primary key (and SQLite's declared column types), read from the database's
catalog (names bound, never concatenated)."""

from __future__ import annotations

import polars as pl

from hygge.homes.sql.dialect import Dialect
from hygge.homes.sql.drivers import SqlSchema, SqlSession
from hygge.homes.sql.statements import Bound, Statement

_POSTGRES = (
    "SELECT a.attname FROM pg_catalog.pg_index i JOIN pg_catalog.pg_attribute a "
    "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
    "WHERE i.indisprimary AND i.indrelid = CAST(",
    " AS regclass) ORDER BY array_position(i.indkey, a.attnum)",
)
_MSSQL = (
    "SELECT c.name FROM sys.indexes AS i JOIN sys.index_columns AS ic "
    "ON ic.object_id = i.object_id AND ic.index_id = i.index_id "
    "JOIN sys.columns AS c ON c.object_id = ic.object_id AND c.column_id = ic.column_id "
    "WHERE i.is_primary_key = 1 AND i.object_id = OBJECT_ID(",
    ") ORDER BY ic.key_ordinal",
)
_SQLITE = (
    "SELECT name FROM pragma_table_info(",
    ") WHERE pk > 0 ORDER BY pk",
)
_DUCKDB = (
    "SELECT unnest(constraint_column_names) FROM duckdb_constraints() "
    "WHERE constraint_type = 'PRIMARY KEY' AND table_name = ",
    "",
)


def primary_key_statement(dialect: Dialect, table: str) -> Statement:
    """The statement listing `table`'s primary key columns in key order."""
    parts = dialect.table_parts(table)
    if dialect.name == "sqlite":
        head, tail = _SQLITE
        return Statement().add(head, Bound(parts[-1]), tail)
    if dialect.name == "duckdb":
        head, tail = _DUCKDB
        statement = Statement().add(head, Bound(parts[-1]))
        if len(parts) > 1:
            statement.add(" AND schema_name = ", Bound(parts[-2]))
        return statement.add(tail)
    head, tail = _POSTGRES if dialect.name == "postgres" else _MSSQL
    return Statement().add(head, Bound(dialect.table(table)), tail)


def primary_key(session: SqlSession, dialect: Dialect, table: str) -> list[str]:
    """`table`'s primary key columns in key order ([] when it has none)."""
    text, values = primary_key_statement(dialect, table).render(dialect)
    found: list[str] = []
    for frame in session.stream(text, values, 100):
        found += [str(name) for name in frame.to_series(0)]
    return found


# SQLite's type affinity of a declared type (its documented rules, in their order), as the
# polars type its values read as; NUMERIC affinity (DATE, DECIMAL, BOOLEAN...) and a column
# declared without a type hold whatever was stored, so only a value can tell.
_AFFINITIES: tuple[tuple[tuple[str, ...], pl.DataType | None], ...] = (
    (("INT",), pl.Int64()),
    (("CHAR", "CLOB", "TEXT"), pl.String()),
    (("BLOB",), pl.Binary()),
    (("REAL", "FLOA", "DOUB"), pl.Float64()),
)


def declared_types(session: SqlSession, dialect: Dialect, table: str) -> SqlSchema:
    """SQLite `table`'s columns typed by their declared types' affinity (None where it
    does not decide one); {} for another dialect, whose driver types columns itself."""
    if dialect.name != "sqlite":
        return {}
    parts = dialect.table_parts(table)
    statement = Statement().add("SELECT name, type FROM pragma_table_info(", Bound(parts[-1]))
    if len(parts) > 1:
        statement.add(", ", Bound(parts[-2]))
    text, values = statement.add(") ORDER BY cid").render(dialect)
    found: SqlSchema = {}
    for frame in session.stream(text, values, 1000):
        for name, declared in frame.iter_rows():
            found[str(name)] = _affinity(str(declared or "").upper())
    return found


def _affinity(declared: str) -> pl.DataType | None:
    for marks, dtype in _AFFINITIES:
        if any(mark in declared for mark in marks):
            return dtype
    return None
