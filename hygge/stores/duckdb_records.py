"""hygge's own tables in a DuckDB database, schema `_hygge`: what it owns and what it did.

    owners    target -> StoreOwner (JSON): the tables hygge created or adopted, and for whom
    commits   target -> CommitRecord (JSON): the completion marker, watermark included
    runs      (target, run_id): every published run, so a repeated publish is a no-op
    stagings  location -> (target, run_id): the staging tables of runs in flight
    staged    (location, seq, rows): the artefacts (batches) a staging table holds

Every row changes in the same transaction as the data it describes.

An owners row names a table; the table itself carries hygge's mark, a comment derived from
that row (`hygge:<digest>`). A comment moves with its table: a table hygge created and the
user renamed away keeps the mark, and a table the user creates under the old name lacks it,
so it is never taken for hygge's.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from hygge.stores.base import CommitRecord
from hygge.stores.duckdb_names import HYGGE_SCHEMA, TableName, quote
from hygge.stores.ownership import StoreOwner, table_mark

if TYPE_CHECKING:
    import duckdb

_S = quote(HYGGE_SCHEMA)
_TABLES = (
    f"CREATE SCHEMA IF NOT EXISTS {_S}",
    f"CREATE TABLE IF NOT EXISTS {_S}.owners (target VARCHAR, owner VARCHAR)",
    f"CREATE TABLE IF NOT EXISTS {_S}.commits (target VARCHAR, record VARCHAR)",
    f"CREATE TABLE IF NOT EXISTS {_S}.runs (target VARCHAR, run_id VARCHAR)",
    f"CREATE TABLE IF NOT EXISTS {_S}.stagings (location VARCHAR, target VARCHAR, run_id VARCHAR)",
    f"CREATE TABLE IF NOT EXISTS {_S}.staged (location VARCHAR, seq INTEGER, rows BIGINT)",
)


def create_records(cursor: duckdb.DuckDBPyConnection) -> None:
    """Create the `_hygge` schema and its tables where they are missing."""
    for statement in _TABLES:
        cursor.execute(statement)


def staging_table(target: TableName, run_id: str) -> TableName:
    """The staging table of one run of `target`: a short name in `_hygge`."""
    digest = hashlib.sha256(f"{target.key()}\0{run_id}".encode()).hexdigest()[:24]
    return TableName(HYGGE_SCHEMA, f"stage_{digest}")


def table_kind(cursor: duckdb.DuckDBPyConnection, table: TableName) -> str | None:
    """`BASE TABLE`, `VIEW`, … if `table` exists; None if it does not. DuckDB names ignore
    case (`"Orders"` and `"orders"` are one table), so the lookup does too."""
    row = cursor.execute(
        "SELECT table_type FROM information_schema.tables "
        "WHERE lower(table_schema) = lower(?) AND lower(table_name) = lower(?)",
        [table.schema, table.table],
    ).fetchall()
    return str(row[0][0]) if row else None


def owner_of(cursor: duckdb.DuckDBPyConnection, target: TableName) -> StoreOwner | None:
    row = cursor.execute(
        f"SELECT owner FROM {_S}.owners WHERE lower(target) = lower(?)", [target.key()]
    ).fetchall()
    if not row:
        return None
    return StoreOwner.parse(str(row[0][0]), f"{_S}.owners row of {target}")


def mark_of(owner: StoreOwner) -> str:
    """The comment hygge leaves on the table it created for `owner` (as recorded)."""
    return table_mark(owner)


def table_comment(cursor: duckdb.DuckDBPyConnection, table: TableName) -> str | None:
    row = cursor.execute(
        "SELECT comment FROM duckdb_tables() WHERE database_name = current_database() "
        "AND lower(schema_name) = lower(?) AND lower(table_name) = lower(?)",
        [table.schema, table.table],
    ).fetchall()
    return None if not row or row[0][0] is None else str(row[0][0])


def mark_table(cursor: duckdb.DuckDBPyConnection, target: TableName) -> None:
    """Leave the mark of `target`'s recorded owner on the table (in the caller's transaction)."""
    owner = owner_of(cursor, target)
    if owner is not None and table_kind(cursor, target) == "BASE TABLE":
        cursor.execute(f"COMMENT ON TABLE {target.sql()} IS '{mark_of(owner)}'")


def record_owner(cursor: duckdb.DuckDBPyConnection, target: TableName, owner: StoreOwner) -> None:
    """Claim `target` for `owner` unless it is claimed already."""
    if owner_of(cursor, target) is None:
        cursor.execute(
            f"INSERT INTO {_S}.owners VALUES (?, ?)", [target.key(), owner.model_dump_json()]
        )


def set_adopted(cursor: duckdb.DuckDBPyConnection, target: TableName, adopted: bool) -> None:
    """Record whether the table holds rows hygge did not write (`stores.adopted_tables`)."""
    owner = owner_of(cursor, target)
    if owner is not None and owner.adopted != adopted:
        cursor.execute(
            f"UPDATE {_S}.owners SET owner = ? WHERE lower(target) = lower(?)",
            [owner.model_copy(update={"adopted": adopted}).model_dump_json(), target.key()],
        )


def last_record(cursor: duckdb.DuckDBPyConnection, target: TableName) -> CommitRecord | None:
    row = cursor.execute(
        f"SELECT record FROM {_S}.commits WHERE target = ?", [target.key()]
    ).fetchall()
    return CommitRecord.model_validate_json(str(row[0][0])) if row else None


def record_commit(
    cursor: duckdb.DuckDBPyConnection, target: TableName, run_id: str, record: CommitRecord
) -> None:
    """Leave `record` as the completion marker of `target` and remember `run_id` published."""
    cursor.execute(f"DELETE FROM {_S}.commits WHERE target = ?", [target.key()])
    cursor.execute(
        f"INSERT INTO {_S}.commits VALUES (?, ?)", [target.key(), record.model_dump_json()]
    )
    cursor.execute(f"INSERT INTO {_S}.runs VALUES (?, ?)", [target.key(), run_id])


def committed(cursor: duckdb.DuckDBPyConnection, target: TableName, run_id: str) -> bool:
    row = cursor.execute(
        f"SELECT 1 FROM {_S}.runs WHERE target = ? AND run_id = ?", [target.key(), run_id]
    ).fetchall()
    return bool(row)


def open_staging(
    cursor: duckdb.DuckDBPyConnection, location: TableName, target: TableName, run_id: str
) -> None:
    """Register a fresh staging for `run_id`, dropping what an earlier try of it left."""
    drop_staging(cursor, location)
    cursor.execute(
        f"INSERT INTO {_S}.stagings VALUES (?, ?, ?)", [location.table, target.key(), run_id]
    )


def has_staging(cursor: duckdb.DuckDBPyConnection, location: TableName) -> bool:
    row = cursor.execute(
        f"SELECT 1 FROM {_S}.stagings WHERE location = ?", [location.table]
    ).fetchall()
    return bool(row)


def staged_sequences(cursor: duckdb.DuckDBPyConnection, location: TableName) -> dict[int, int]:
    """Artefact sequence -> rows, of what the staging holds: none when the staging table is
    gone or holds another number of rows than recorded (dropped, emptied or edited by someone
    else), so such a staging is never published as if whole."""
    rows = cursor.execute(
        f"SELECT seq, rows FROM {_S}.staged WHERE location = ?", [location.table]
    ).fetchall()
    found = {int(seq): int(count) for seq, count in rows}
    if not found:
        return found
    if table_kind(cursor, location) is None:
        return {}
    (held,) = cursor.execute(f"SELECT count(*) FROM {location.sql()}").fetchone() or (0,)
    return found if int(held) == sum(found.values()) else {}


def record_staged(
    cursor: duckdb.DuckDBPyConnection, location: TableName, seq: int, rows: int
) -> None:
    forget_staged(cursor, location, seq)  # a retried write of the batch replaced its rows
    cursor.execute(f"INSERT INTO {_S}.staged VALUES (?, ?, ?)", [location.table, seq, rows])


def forget_staged(cursor: duckdb.DuckDBPyConnection, location: TableName, seq: int) -> None:
    cursor.execute(f"DELETE FROM {_S}.staged WHERE location = ? AND seq = ?", [location.table, seq])


def drop_staging(cursor: duckdb.DuckDBPyConnection, location: TableName) -> None:
    """Drop a staging table and its bookkeeping (only ever a table in `_hygge`)."""
    if location.schema != HYGGE_SCHEMA or not location.table.startswith("stage_"):
        raise ValueError(f"{location} is not a hygge staging table")  # never a user's table
    cursor.execute(f"DROP TABLE IF EXISTS {location.sql()}")
    cursor.execute(f"DELETE FROM {_S}.staged WHERE location = ?", [location.table])
    cursor.execute(f"DELETE FROM {_S}.stagings WHERE location = ?", [location.table])
