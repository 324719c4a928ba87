"""hygge's own tables in a SQL store's database (schema `_hygge`): what it owns and did.

    owners    target -> StoreOwner (JSON): the tables hygge created or adopted, and for whom
    commits   target -> CommitRecord (JSON): the completion marker, watermark included
    runs      (target, run_id): every published run, so a repeated publish is a no-op
    stagings  location -> (target, run_id): the staging tables of runs in flight

The batches a staging table holds are its rows' `_hygge_seq` values; where the dialect keeps
`batch_records` (PostgreSQL) they are also rows of

    batches   (location, seq): each batch staged, inserted in the transaction that loads it

so a write, a resume and a publish learn them without scanning the staging table. Every row
here changes in the same transaction as the data it describes.

An owners row names a table; the table itself carries hygge's mark (`ownership.table_mark` of
that row): a PostgreSQL `COMMENT ON TABLE`, a SQL Server extended property `hygge`, a comment
in a SQLite table's creation SQL. The mark moves with its table (rename, schema transfer,
added columns); a table someone else creates under the name lacks it, so it is never taken
for hygge's.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from typing import Protocol

import polars as pl

from hygge.stores.base import CommitRecord
from hygge.stores.ownership import StoreOwner, table_mark
from hygge.stores.sql.dialect import SEQUENCE_COLUMN, SqlDialect
from hygge.stores.sql.names import TableName


class SqlSession(Protocol):
    """One open transaction of a SQL store's database."""

    def execute(self, sql: str, params: Sequence[object] = ()) -> None: ...

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]: ...

    def load(self, table: TableName, frame: pl.DataFrame) -> None:
        """Append `frame`'s rows to `table` (its columns by name), in this transaction or, for
        a loader with its own connection, committed before this one ends."""
        ...


class SqlDatabase(Protocol):
    """How a SQL store reaches its database."""

    @property
    def dialect(self) -> SqlDialect: ...

    def transaction(self) -> contextlib.AbstractContextManager[SqlSession]:
        """A session in one transaction: committed on success, rolled back on any error."""
        ...

    def label(self) -> str:
        """The database, as a store's identity names it (never a secret)."""
        ...

    def missing(self) -> bool:
        """True if there is no database yet (a SQLite file not created): nothing to read."""
        ...

    def problem(self) -> str | None:
        """What makes the database unusable as a store (a file of another kind); else None."""
        ...


_READY: set[str] = set()
_READY_LOCK = threading.Lock()


@contextlib.contextmanager
def transaction(database: SqlDatabase) -> Iterator[SqlSession]:
    """A transaction of `database`, hygge's bookkeeping tables made once per process."""
    label = database.label()
    with _READY_LOCK:
        if label not in _READY or database.missing():
            with database.transaction() as session:
                for statement in database.dialect.create_records():
                    session.execute(statement)
            _READY.add(label)
    with database.transaction() as session:
        yield session


def records_lost(database: SqlDatabase) -> bool:
    """True if a bookkeeping table is gone (dropped by someone after this process made them,
    as a long-lived Functions host would find): the next transaction makes them again."""
    d = database.dialect
    names = ["owners", "commits", "runs", "stagings", *(["batches"] if d.batch_records else [])]
    try:
        with database.transaction() as session:
            lost = any(not session.rows(*d.kind_query(d.hygge_table(name))) for name in names)
    except Exception:  # the database itself failed: the step's own error says more
        return False
    if lost:
        forget_ready(database.label())
    return lost


def forget_ready(label: str) -> None:
    """Make the next transaction of `label` check the bookkeeping tables again (tests)."""
    with _READY_LOCK:
        _READY.discard(label)


class Records:
    """The bookkeeping statements of one dialect, run in a session."""

    def __init__(self, dialect: SqlDialect) -> None:
        self.d = dialect
        self.m = dialect.mark

    def _match(self, column: str = "target") -> str:
        if self.d.case_insensitive:
            return f"lower({column}) = lower({self.m})"
        return f"{column} = {self.m}"

    def kind(self, session: SqlSession, table: TableName) -> str | None:
        sql, params = self.d.kind_query(table)
        found = session.rows(sql, params)
        return self.d.table_kind(found[0][0]) if found else None

    def columns(self, session: SqlSession, table: TableName) -> dict[str, str]:
        sql, params = self.d.columns_query(table)
        return {str(name): str(kind) for name, kind in session.rows(sql, params)}

    def owner_of(self, session: SqlSession, target: TableName) -> StoreOwner | None:
        found = session.rows(
            f"SELECT owner FROM {self.d.bookkeeping('owners')} WHERE {self._match()}",
            [self.d.key(target)],
        )
        if not found:
            return None
        return StoreOwner.parse(str(found[0][0]), f"{self.d.bookkeeping('owners')} of {target}")

    def mark(self, session: SqlSession, table: TableName) -> str | None:
        """The mark `table` carries (None: none, or no such table)."""
        sql, params = self.d.mark_query(table)
        found = session.rows(sql, params)
        return self.d.read_mark(found[0][0]) if found else None

    def marked(self, session: SqlSession, target: TableName) -> bool:
        """True if the table there is the one hygge created (it carries its owner's mark)."""
        found = self.owner_of(session, target)
        return found is not None and self.mark(session, target) == table_mark(found)

    def mark_table(self, session: SqlSession, target: TableName) -> None:
        """Leave the mark of `target`'s recorded owner on the table (in the session's
        transaction); SQLite's is left by the CREATE TABLE only."""
        owner = self.owner_of(session, target)
        if owner is None or self.kind(session, target) != "BASE TABLE":
            return
        mark = table_mark(owner)
        if self.mark(session, target) != mark:
            for statement in self.d.mark_table(target, mark):
                session.execute(statement)

    def record_owner(self, session: SqlSession, target: TableName, owner: StoreOwner) -> None:
        if self.owner_of(session, target) is None:
            session.execute(
                f"INSERT INTO {self.d.bookkeeping('owners')} (target, owner) VALUES "
                f"({self.m}, {self.m})",
                [self.d.key(target), owner.model_dump_json()],
            )

    def set_adopted(self, session: SqlSession, target: TableName, adopted: bool) -> None:
        """Record whether the table holds rows hygge did not write (`stores.adopted_tables`)."""
        owner = self.owner_of(session, target)
        if owner is None or owner.adopted == adopted:
            return
        session.execute(
            f"UPDATE {self.d.bookkeeping('owners')} SET owner = {self.m} WHERE {self._match()}",
            [owner.model_copy(update={"adopted": adopted}).model_dump_json(), self.d.key(target)],
        )

    def last_record(self, session: SqlSession, target: TableName) -> CommitRecord | None:
        found = session.rows(
            f"SELECT record FROM {self.d.bookkeeping('commits')} WHERE {self._match()}",
            [self.d.key(target)],
        )
        return CommitRecord.model_validate_json(str(found[0][0])) if found else None

    def record_commit(
        self, session: SqlSession, target: TableName, run_id: str, record: CommitRecord
    ) -> None:
        key = self.d.key(target)
        commits, runs = self.d.bookkeeping("commits"), self.d.bookkeeping("runs")
        session.execute(f"DELETE FROM {commits} WHERE {self._match()}", [key])
        session.execute(
            f"INSERT INTO {commits} (target, record) VALUES ({self.m}, {self.m})",
            [key, record.model_dump_json()],
        )
        session.execute(
            f"INSERT INTO {runs} (target, run_id) VALUES ({self.m}, {self.m})", [key, run_id]
        )

    def committed(self, session: SqlSession, target: TableName, run_id: str) -> bool:
        return bool(
            session.rows(
                f"SELECT 1 FROM {self.d.bookkeeping('runs')} WHERE {self._match()} AND "
                f"run_id = {self.m}",
                [self.d.key(target), run_id],
            )
        )

    def open_staging(
        self, session: SqlSession, location: TableName, target: TableName, run_id: str
    ) -> None:
        """Register a fresh staging for `run_id`, dropping what an earlier try of it left."""
        self.drop_staging(session, location)
        session.execute(
            f"INSERT INTO {self.d.bookkeeping('stagings')} (location, target, run_id) VALUES "
            f"({self.m}, {self.m}, {self.m})",
            [location.table, self.d.key(target), run_id],
        )

    def has_staging(self, session: SqlSession, location: TableName) -> bool:
        return bool(
            session.rows(
                f"SELECT 1 FROM {self.d.bookkeeping('stagings')} WHERE location = {self.m}",
                [location.table],
            )
        )

    def staged_sequences(self, session: SqlSession, location: TableName) -> set[int]:
        """The batches the staging table holds ({} before the first)."""
        if self.kind(session, location) is None:
            return set()  # never created, or dropped by someone else: no batch is there
        if self.d.batch_records:
            found = session.rows(
                f"SELECT seq FROM {self.d.bookkeeping('batches')} WHERE location = {self.m}",
                [location.table],
            )
            emptied = not session.rows(f"SELECT 1 FROM {self.d.sql(location)} LIMIT 1")
            if found:  # a staging table emptied by someone else holds none of them
                return set() if emptied else {int(str(value)) for (value,) in found}
        # no records: a staging table of a hygge that kept none, or every batch discarded
        seq = self.d.quote(SEQUENCE_COLUMN)
        found = session.rows(f"SELECT DISTINCT {seq} FROM {self.d.sql(location)}")
        return {int(str(value)) for (value,) in found}

    def record_batch(self, session: SqlSession, location: TableName, seq: int) -> None:
        """Note batch `seq` as staged, in the transaction that loaded its rows."""
        if self.d.batch_records:
            session.execute(
                f"INSERT INTO {self.d.bookkeeping('batches')} (location, seq) VALUES "
                f"({self.m}, {self.m})",
                [location.table, seq],
            )

    def forget_batch(self, session: SqlSession, location: TableName, seq: int) -> None:
        """Delete batch `seq`'s staged rows (a retried write of it, or a batch no checkpoint
        listed). With batch records, a batch never recorded has no rows: nothing is scanned."""
        if self.d.batch_records:
            batches = self.d.bookkeeping("batches")
            ((recorded, this),) = session.rows(
                f"SELECT count(*), coalesce(sum(CASE WHEN seq = {self.m} THEN 1 ELSE 0 END), 0) "
                f"FROM {batches} WHERE location = {self.m}",
                [seq, location.table],
            )
            if int(str(recorded)) and not int(str(this)):
                return
            if not int(str(recorded)):  # a staging of a hygge that kept no records: note them
                session.execute(
                    f"INSERT INTO {batches} (location, seq) SELECT DISTINCT {self.m}, "
                    f"{self.d.quote(SEQUENCE_COLUMN)} FROM {self.d.sql(location)}",
                    [location.table],
                )
            session.execute(
                f"DELETE FROM {batches} WHERE location = {self.m} AND seq = {self.m}",
                [location.table, seq],
            )
        session.execute(
            f"DELETE FROM {self.d.sql(location)} WHERE {self.d.quote(SEQUENCE_COLUMN)} = {self.m}",
            [seq],
        )

    def flush(self, session: SqlSession, location: TableName) -> None:
        """Write a row of the staging's own record, so this transaction's commit waits for the
        log up to it (a transaction that writes nothing commits without waiting)."""
        session.execute(
            f"UPDATE {self.d.bookkeeping('stagings')} SET run_id = run_id WHERE location = "
            f"{self.m}",
            [location.table],
        )

    def drop_staging(self, session: SqlSession, location: TableName) -> None:
        """Drop a staging table and its bookkeeping (only ever a staging table of hygge's)."""
        if not self.d.is_staging(location):
            raise ValueError(f"{location} is not a hygge staging table")  # never a user's table
        session.execute(self.d.drop_table(location))
        session.execute(
            f"DELETE FROM {self.d.bookkeeping('stagings')} WHERE location = {self.m}",
            [location.table],
        )
        if self.d.batch_records:
            session.execute(
                f"DELETE FROM {self.d.bookkeeping('batches')} WHERE location = {self.m}",
                [location.table],
            )
