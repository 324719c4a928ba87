"""Schema evolution of a SQL store's table: new columns added, safe widenings applied, else a
DataError naming the table, the column, both types and what to do."""

from __future__ import annotations

import polars as pl

from hygge.errors import ConfigError, DataError
from hygge.stores.sql.dialect import ROW_COLUMN, SEQUENCE_COLUMN, SqlDialect
from hygge.stores.sql.names import TableName, check_name
from hygge.stores.sql.records import Records, SqlSession

RESERVED = (SEQUENCE_COLUMN, ROW_COLUMN)


def incoming_types(dialect: SqlDialect, table: TableName, frame: pl.DataFrame) -> dict[str, str]:
    """The column types of `frame`'s columns, refusing names hygge cannot write."""
    seen: dict[str, str] = {}
    for name in frame.columns:
        if name in RESERVED:
            raise DataError(
                f"table {table}: column {name} is a name hygge keeps for itself in staging; "
                "rename the column (polish renames)"
            )
        try:
            check_name(name, "column name", name, dialect.max_name)
        except ConfigError as error:
            raise DataError(f"table {table}: {error.detail}; rename it (polish)") from error
        twin = seen.get(name.casefold())
        if dialect.case_insensitive and twin is not None:
            raise DataError(
                f"table {table}: columns {twin!r} and {name!r} differ only in case, and "
                f"{dialect.name} column names ignore case; rename one of them (polish renames)"
            )
        seen[name.casefold()] = name
    return {name: dialect.column_type(table, frame[name]) for name in frame.columns}


def evolve(
    session: SqlSession, dialect: SqlDialect, table: TableName, incoming: dict[str, str]
) -> list[str]:
    """Make `table` take rows of `incoming` columns; returns what changed (for the log)."""
    found = Records(dialect).columns(session, table)
    existing = {name.casefold() if dialect.case_insensitive else name: (name, kind)
                for name, kind in found.items()}  # fmt: skip
    changes: list[str] = []
    for column, kind in incoming.items():
        match = existing.get(column.casefold() if dialect.case_insensitive else column)
        if match is None:
            session.execute(dialect.add_column(table, column, kind))
            changes.append(f"added {column} {kind}")
            continue
        name, old = match
        if same(old, kind) or dialect.widens(kind, old):
            continue  # the same, or narrower: values are cast on insert
        if not dialect.widens(old, kind):
            raise DataError(
                f"table {table}: column {name} is {old} there, and the data brings {kind}; "
                f"hygge widens types safely ({dialect.widenings}) but {old} to {kind} could "
                f"change values. Cast {column} to {old} in the home (a query, or the source), "
                "or run once with --full-drop to recreate the table with the new types"
            )
        for statement in dialect.alter_column(table, name, kind):
            session.execute(statement)
        changes.append(f"widened {name} {old} -> {kind}")
    return changes


def same(old: str, new: str) -> bool:
    return old.replace(" ", "").casefold() == new.replace(" ", "").casefold()


def fit(dialect: SqlDialect, frame: pl.DataFrame, columns: dict[str, str]) -> pl.DataFrame:
    """`frame` cast to the polars types of the staging table's `columns` it loads into."""
    casts: dict[str, pl.DataType] = {}
    for name, dtype in frame.schema.items():
        kind = columns.get(name)
        wanted = dialect.polars_type(kind) if kind is not None else None
        if wanted is not None and dtype != wanted:
            casts[name] = wanted
    return frame.cast(casts) if casts else frame  # type: ignore[arg-type]
