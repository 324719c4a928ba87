"""Schema evolution of a DuckDB table: new columns added, safe widenings applied, else an error.

Types are DuckDB's own, as Arrow ingest maps polars types (README.md, Stores, DuckDB): a
column the data brings that the table lacks is added; a column whose type the data widens
safely (every value of the old type fits the new one exactly) is altered; a column the data
narrows is left as it is (values are cast on insert); anything else is a DataError naming the
table, the column, both types and what to do.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from hygge.errors import DataError
from hygge.stores.duckdb_names import TableName, quote

if TYPE_CHECKING:
    import duckdb

SEQUENCE_COLUMN = "_hygge_seq"  # the artefact a staged row belongs to

_SIGNED = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT")
_UNSIGNED = ("UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT")
_DIGITS = {"TINYINT": 3, "SMALLINT": 5, "INTEGER": 10, "BIGINT": 19, "HUGEINT": 39}
_DIGITS |= {"UTINYINT": 3, "USMALLINT": 5, "UINTEGER": 10, "UBIGINT": 20, "UHUGEINT": 39}
_EXACT_IN_FLOAT = {"TINYINT", "SMALLINT", "UTINYINT", "USMALLINT"}
_EXACT_IN_DOUBLE = _EXACT_IN_FLOAT | {"INTEGER", "UINTEGER", "FLOAT"}
_TIMESTAMPS = ("TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP")
_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")
WIDENINGS = (
    "integers to larger integers, FLOAT to DOUBLE, small integers to FLOAT/DOUBLE, integers "
    "and decimals to decimals with room for every digit, coarser timestamps to finer ones, "
    "an all-null column to any type"
)


def table_columns(cursor: duckdb.DuckDBPyConnection, table: TableName) -> dict[str, str]:
    """The columns of `table` and their DuckDB types, in order; {} if there is no table."""
    rows = cursor.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [table.schema, table.table],
    ).fetchall()
    return {str(name): str(kind) for name, kind in rows}


def widens(old: str, new: str) -> bool:
    """True if every value of DuckDB type `old` is exactly a value of type `new`."""
    if old in (new, '"NULL"'):
        return True
    for ladder in (_SIGNED, _UNSIGNED, _TIMESTAMPS):
        if old in ladder and new in ladder:
            return ladder.index(old) < ladder.index(new)
    if old in _UNSIGNED and new in _SIGNED:
        return _UNSIGNED.index(old) < _SIGNED.index(new)
    exact_in = {"FLOAT": _EXACT_IN_FLOAT, "DOUBLE": _EXACT_IN_DOUBLE}.get(new)
    if exact_in is not None:
        return old in exact_in
    return _widens_to_decimal(old, new)


def _widens_to_decimal(old: str, new: str) -> bool:
    """An integer or a decimal into a decimal with room for every digit on both sides."""
    target = _DECIMAL.fullmatch(new)
    if target is None:
        return False
    precision, scale = int(target[1]), int(target[2])
    if old in _DIGITS:
        return precision - scale >= _DIGITS[old]
    source = _DECIMAL.fullmatch(old)
    if source is None:
        return False
    old_precision, old_scale = int(source[1]), int(source[2])
    return scale >= old_scale and precision - scale >= old_precision - old_scale


def evolve(
    cursor: duckdb.DuckDBPyConnection, table: TableName, incoming: dict[str, str]
) -> list[str]:
    """Make `table` take rows of `incoming` columns; returns what changed (for the log)."""
    existing = {
        name.casefold(): (name, kind) for name, kind in table_columns(cursor, table).items()
    }
    changes: list[str] = []
    for column, kind in incoming.items():
        found = existing.get(column.casefold())
        if found is None:
            cursor.execute(f"ALTER TABLE {table.sql()} ADD COLUMN {quote(column)} {kind}")
            changes.append(f"added {column} {kind}")
            continue
        name, old = found
        if old == kind or widens(kind, old):
            continue  # the same, or narrower: values are cast on insert
        if not widens(old, kind):
            raise DataError(
                f"table {table}: column {name} is {old} there, and the data brings {kind}; "
                f"hygge widens types safely ({WIDENINGS}) but {old} to {kind} could change "
                f"values. Cast {column} to {old} in the home (a query, or the source), or run "
                "once with --full-drop to recreate the table with the new types"
            )
        cursor.execute(f"ALTER TABLE {table.sql()} ALTER COLUMN {quote(name)} TYPE {kind}")
        changes.append(f"widened {name} {old} -> {kind}")
    return changes
