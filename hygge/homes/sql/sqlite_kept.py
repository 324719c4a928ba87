"""The types of a SQLite table hygge's SQLite store wrote: its dates, times, datetimes,
decimals and booleans, kept as text (0/1) under declared types that name them
(`hygge.io.sqlite_text`), read back as those types.

Only a table carrying hygge's mark in its creation SQL is read so: another tool's `DATE`
column may hold any text or number, which SQLite allows, and stays typed by its values."""

from __future__ import annotations

import polars as pl

from hygge.errors import DataError
from hygge.homes.sql.dialect import Dialect
from hygge.homes.sql.drivers import SqlSchema, SqlSession
from hygge.homes.sql.statements import Bound, Statement
from hygge.io.sqlite_text import MARK, from_text, stored_type


def kept_types(session: SqlSession, dialect: Dialect, table: str | None) -> SqlSchema:
    """`table`'s columns of a type hygge keeps as text, if hygge's store wrote it; else {}."""
    if dialect.name != "sqlite" or table is None:
        return {}
    parts = dialect.table_parts(table)
    if len(parts) > 1 and parts[-2].casefold() != "main":
        return {}
    text, values = (
        Statement()
        .add("SELECT sql FROM sqlite_master WHERE type = 'table' AND lower(name) = lower(")
        .add(Bound(parts[-1]), ")")
        .render(dialect)
    )
    row = session.first(text, values)
    if row is None or not MARK.search(str(row[0] or "")):
        return {}
    text, values = (
        Statement().add("SELECT name, type FROM pragma_table_info(", Bound(parts[-1]), ")")
    ).render(dialect)
    found: SqlSchema = {}
    for frame in session.stream(text, values, 1000):
        for name, declared in frame.iter_rows():
            dtype = stored_type(str(declared or ""))
            if dtype is not None:
                found[str(name)] = dtype
    return found


def typed_batch(batch: pl.DataFrame, kept: SqlSchema, where: str) -> pl.DataFrame:
    """`batch` with its `kept` columns read back as their types; a DataError naming the
    column if a value is not the text hygge wrote (someone else changed the table)."""
    for name, dtype in kept.items():
        if dtype is None:
            continue
        try:
            batch = from_text(batch, {name: dtype})
        except (pl.exceptions.PolarsError, ValueError) as exc:
            raise DataError(
                f"{where}: column {name!r} is {dtype} as hygge's SQLite store wrote it, but "
                f"holds a value that is not the text it writes ({str(exc).splitlines()[0]}); "
                "a tool other than hygge changed the table. Fix that value, or read the "
                "table with `query:` (its values are typed as they are stored)"
            ) from exc
    return batch
