"""The publish lock of a SQL store's table: one publish into a table at a time (another run
of the entity, or another workspace writing the same table), taken first in the publish's
transaction by the dialect's statements (`lock_target`), released by its commit or rollback."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hygge.errors import StateError

if TYPE_CHECKING:
    from hygge.stores.sql.dialect import SqlDialect
    from hygge.stores.sql.names import TableName
    from hygge.stores.sql.records import SqlSession

_HOLDER = ("session", "login", "host", "program")  # the columns of `lock_holder_query`


def take_publish_lock(
    session: SqlSession, d: SqlDialect, target: TableName, described: str
) -> None:
    """Take the dialect's publish lock of `target`; StateError if it is not granted, naming
    the table and (where the database tells) what holds it."""
    for query in d.lock_target(target):
        found = session.rows(query)
        if d.lock_granted(found):
            continue
        raise StateError(
            f"cannot publish to {described}: {d.lock_refused(target, found)}"
            f"{_holder(session, d, target)}. Another publish into this table (another run of "
            "this entity, or another workspace writing the same table) holds it: let it "
            "finish, then run again, or raise the store's `lock_timeout`"
        )


def _holder(session: SqlSession, d: SqlDialect, target: TableName) -> str:
    asked = d.lock_holder_query(target)
    if asked is None:
        return ""
    try:
        rows = session.rows(*asked)
    except Exception as error:  # no permission to read the server's locks
        return f"; who holds it could not be read ({error})"
    if not rows:
        return "; its holder is gone"
    held = (
        f"{label} {value}"
        for label, value in zip(_HOLDER, rows[0], strict=False)
        if value not in (None, "")
    )
    return "; held by " + ", ".join(held)
