"""Whose a DuckDB store's table is: the owners row, and the mark on the table itself.

A table is this entity's when `_hygge.owners` names the entity for it and the table carries
that row's mark (`duckdb_records.mark_of`); a table hygge has no row for is the user's, written
into only when `if_exists` says so; a view is never written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hygge.stores import adopted_tables
from hygge.stores import duckdb_records as records

if TYPE_CHECKING:
    from pathlib import Path

    import duckdb

    from hygge.stores.duckdb_names import TableName
    from hygge.stores.ownership import StoreOwner
    from hygge.types import RunType


def marked(cursor: duckdb.DuckDBPyConnection, target: TableName) -> bool:
    """True if the table there is the one hygge created (it carries its owner's mark)."""
    found = records.owner_of(cursor, target)
    return found is not None and records.table_comment(cursor, target) == (records.mark_of(found))


def _unmarked(where: str, found: StoreOwner, kind: str | None, if_exists: str) -> str | None:
    """A table under an owned name that is not the one hygge created."""
    if if_exists != "fail" and kind == "BASE TABLE":
        return None  # the user's table, which if_exists lets hygge adopt
    return (
        f"{where} is not the table hygge created for {found.describe()}: it lacks "
        "hygge's mark (the table's comment), so it was created or replaced by someone "
        "else (a table hygge created keeps its mark when renamed); hygge will not "
        "replace or add to it. Rename or drop it, give this entity another `table`, "
        "or set `if_exists: append` or `replace` on the store to adopt it"
    )


def foreign(
    cursor: duckdb.DuckDBPyConnection,
    target: TableName,
    owner: StoreOwner,
    path: Path,
    if_exists: str,
) -> str | None:
    """Why `target` is not this entity's to replace or add to; None if it is."""
    found = records.owner_of(cursor, target)
    where = f"table {target} in {path}"
    kind = records.table_kind(cursor, target)
    if found is not None:
        if found.same_entity(owner) and not found.live_copy_of(owner):
            unmarked = kind is not None and not marked(cursor, target)
            return _unmarked(where, found, kind, if_exists) if unmarked else None
        return (
            f"{where} belongs to {found.describe()} (hygge's _hygge.owners says so), not to "
            f"entity {owner.flow}.{owner.entity} of workspace "
            f"'{owner.workspace}' ({owner.workspace_root}); hygge will not "
            "replace or add to another store's table. Give this entity another `table` "
            "or `path`"
        )
    return None if kind is None else _unowned(cursor, target, where, kind, if_exists)


def _unowned(
    cursor: duckdb.DuckDBPyConnection, target: TableName, where: str, kind: str, if_exists: str
) -> str | None:
    """A table or view hygge has no owners row for."""
    if kind != "BASE TABLE":
        return (
            f"{where} is a {kind.lower()} hygge did not create; hygge writes only tables. "
            "Give this entity another `table`, or drop the view yourself"
        )
    if if_exists != "fail":
        return None
    ((rows,),) = cursor.execute(f"SELECT count(*) FROM {target.sql()}").fetchall()
    return (
        f"{where} already exists ({rows} rows) and hygge did not create it; a run would "
        "replace or mix with its rows, so hygge refuses. Give this entity another `table`, "
        "or set `if_exists: append` on the store (keep the table and its rows, and write "
        "into it) or `if_exists: replace` (drop it and create it from the data)"
    )


def refuse_full_drop(
    cursor: duckdb.DuckDBPyConnection, target: TableName, path: Path, run_type: RunType,
    if_exists: str,
) -> tuple[bool, bool]:  # fmt: skip
    """Refuse a full_drop that would delete rows hygge did not write; return whether the
    table holds such rows and whether it carries hygge's mark (for `settle_adoption`)."""
    exists = records.table_kind(cursor, target) is not None
    is_marked = exists and marked(cursor, target)
    owner = records.owner_of(cursor, target) if exists else None
    users_rows = adopted_tables.holds_users_rows(exists, owner, is_marked)
    adopted_tables.refuse_full_drop(f"table {target} in {path}", run_type, if_exists, users_rows)
    return users_rows, is_marked


def full_drop_refusal(
    cursor: duckdb.DuckDBPyConnection, target: TableName, path: Path, if_exists: str
) -> str | None:
    """Why a full_drop of `target` would be refused (`adopted_tables.full_drop_refusal`)."""
    exists = records.table_kind(cursor, target) is not None
    is_marked = exists and marked(cursor, target)
    owner = records.owner_of(cursor, target) if exists else None
    users_rows = adopted_tables.holds_users_rows(exists, owner, is_marked)
    return adopted_tables.full_drop_refusal(f"table {target} in {path}", if_exists, users_rows)


def settle_adoption(
    cursor: duckdb.DuckDBPyConnection, target: TableName, before: tuple[bool, bool],
    run_type: RunType, if_exists: str,
) -> None:  # fmt: skip
    """After a publish: record whether the table still holds rows hygge did not write."""
    adopted = adopted_tables.adopted_after(*before, run_type, if_exists)
    records.set_adopted(cursor, target, adopted)
