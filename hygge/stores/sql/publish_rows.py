"""A SQL store's publish of a run's staged rows into its table, in the publish's
transaction: full_drop replaces (swaps, or recreates) the table, incremental inserts, merge
upserts on `key_columns`; a run that staged no row takes its columns from the engine."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hygge.errors import DataError, StateError
from hygge.stores.base import Staging, lost_staging_advice
from hygge.stores.known_columns import empty_frame, known_names
from hygge.stores.ownership import table_mark
from hygge.stores.sql.names import TableName
from hygge.stores.sql.records import SqlSession
from hygge.stores.sql.schema import RESERVED, evolve, incoming_types
from hygge.types import RunType

if TYPE_CHECKING:
    from hygge.stores.sql.store import SqlStore


def publish_rows(
    store: SqlStore, session: SqlSession, staging: Staging, location: TableName
) -> None:
    d, target = store.dialect, store.target
    found = store.records.columns(session, location)
    staged = {n: t for n, t in found.items() if n not in RESERVED}
    reserved = [n for n in found if n in RESERVED]
    kind = store.records.kind(session, target)
    adopting = kind is not None and not store.records.marked(session, target)
    keep_table = kind is not None and (not adopting or store.config.if_exists == "append")
    if not staged:  # no batch was staged: there is no schema to create a table from
        if staging.run_type is RunType.FULL_DROP and kind is not None:
            session.execute(f"DELETE FROM {d.sql(target)}")
        return
    if staging.run_type is RunType.MERGE:
        _require_keys(store, list(staged))
    if staging.run_type is RunType.FULL_DROP and keep_table and adopting:
        session.execute(f"DELETE FROM {d.sql(target)}")
    elif staging.run_type is RunType.FULL_DROP or not keep_table:
        for statement in [*d.create_schema(target.schema), d.drop_table(target)]:
            session.execute(statement)
        full_drop = staging.run_type is RunType.FULL_DROP
        swap = d.swap(target, location, reserved) if full_drop else None
        if swap is not None:
            for statement in swap:
                session.execute(statement)
            return
        owner = store.records.owner_of(session, target) or store.owner
        session.execute(d.create_table(target, staged, table_mark(owner)))
        session.execute(d.insert(target, location, list(staged)))
        return
    evolve(session, d, target, staged)
    if staging.run_type is RunType.MERGE:
        for statement in d.merge(target, location, list(staged), store.config.key_columns):
            session.execute(statement)
        return
    session.execute(d.insert(target, location, list(staged)))


def stage_known_columns(
    store: SqlStore, session: SqlSession, staging: Staging, location: TableName
) -> None:
    """A run that staged no row: its staging table takes the run's columns as the engine
    knows them, in the publish's transaction, so a full_drop (or the first incremental
    or merge run, with no table yet) leaves the table with them, empty."""
    empty = empty_frame(staging)
    if empty is None or store.records.kind(session, location) is not None:
        return
    if staging.run_type is not RunType.FULL_DROP and store.records.kind(session, store.target):
        return  # an incremental run of no rows adds nothing to a table that is there
    incoming = incoming_types(store.dialect, store.target, store.dialect.wire(empty))
    incoming |= store.dialect.kept_types(empty)
    session.execute(
        store.dialect.create_table(location, incoming | store.dialect.staging_columns())
    )


def refuse_lost_columns(
    store: SqlStore, session: SqlSession, staging: Staging, location: TableName
) -> None:
    """StateError if a column of the run's first batch is gone from its staging table
    (dropped by someone else): publishing it would lose that column's values."""
    known = known_names(staging) if staging.artefacts else []
    if not known:
        return
    fold = str.casefold if store.dialect.case_insensitive else str
    staged = {fold(name) for name in store.records.columns(session, location)}
    lost = [name for name in known if fold(name) not in staged]
    if lost:
        raise StateError(
            f"columns {lost} of run {staging.run_id} are gone from {location} in "
            f"{store.database.label()}; {lost_staging_advice(store.place)}"
        )


def _require_keys(store: SqlStore, staged: list[str]) -> None:
    lacking = [key for key in store.config.key_columns if key not in staged]
    if lacking:
        raise DataError(
            f"table {store.target}: merge key_columns {lacking} are not in the data (it "
            f"has {', '.join(staged)}); fix key_columns or the home"
        )
