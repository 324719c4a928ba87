"""Tables hygge did not create but writes into (`if_exists: append`): their rows stay.

`if_exists` says what to do with a table hygge finds and did not create: `fail` (refuse),
`append` (write into it, keeping its definition and rows), `replace` (drop it, create it from
the data). A table adopted with `append` holds rows hygge did not write, and keeps holding
them: its owner record says `adopted` (PostgreSQL and SQL Server mark the table then; SQLite
cannot, so its table stays unmarked, the user's), and a full_drop, which would delete every
row, is refused before staging and again at publish — unless `if_exists: replace` says to drop
the table. Incremental and merge runs add to it as before. `hygge reset` of an incremental
entity into it is refused, with or without `--keep-data` (whose appended reload would double
the rows hygge loaded before: they cannot be told from the user's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hygge.errors import StoreOwnershipError
from hygge.types import RunType

if TYPE_CHECKING:
    from hygge.stores.ownership import StoreOwner


def holds_users_rows(exists: bool, owner: StoreOwner | None, marked: bool) -> bool:
    """Whether a table holds rows hygge did not write: one hygge did not create (no owner
    record, or no mark: created again by someone), or one it adopted."""
    return exists and (owner is None or owner.adopted or not marked)


def full_drop_refusal(where: str, if_exists: str, users_rows: bool) -> str | None:
    """Why a full_drop of the table would be refused (None: it would not): it holds rows hygge
    did not write and `if_exists` is not `replace`. `hygge reset` asks it too: the first run
    after a reset of an incremental entity is a full_drop (`engine.after_reset`)."""
    if if_exists == "replace" or not users_rows:
        return None
    return (
        f"{where} holds rows hygge did not write (a table hygge did not create, written into "
        "under `if_exists: append`), and a full_drop would delete them"
    )


def refuse_full_drop(where: str, run_type: RunType, if_exists: str, users_rows: bool) -> None:
    """StoreOwnershipError for a full_drop that would delete rows hygge did not write."""
    refusal = full_drop_refusal(where, if_exists, users_rows)
    if run_type is not RunType.FULL_DROP or refusal is None:
        return
    raise StoreOwnershipError(
        f"{refusal}, so hygge refuses. "
        "Run the entity as incremental or merge to add to the table, or set "
        "`if_exists: replace` on the store to drop it and create it from the data (the first "
        "run after `hygge reset` is a full_drop too)"
    )


def adopted_after(users_rows: bool, marked: bool, run_type: RunType, if_exists: str) -> bool:
    """Whether the table holds rows hygge did not write after a publish of `run_type`: it did
    before, and the publish kept the table (a full_drop here replaced it, as `replace` let it;
    an unmarked table is dropped for `replace`, a marked one, adopted earlier, is kept)."""
    if not users_rows or run_type is RunType.FULL_DROP:
        return False
    return marked or if_exists == "append"
