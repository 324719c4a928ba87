"""The generic SQL store: staging table, one transaction per publish, owner records.

Each run stages its batches in a table of hygge's schema `_hygge` (`_hygge_seq` per batch so a
resumed run drops exactly the batches no checkpoint listed, `_hygge_row` for order, which a
full_drop swapped into place needs not and does not send), then
publishes in one transaction: full_drop swaps (or recreates) the table, incremental inserts,
merge upserts on `key_columns`; the completion marker (the CommitRecord, watermark included)
commits with them. A repeated publish of a committed run changes nothing. A run that staged no
row takes its columns from `Staging.arrow_schema` in the publish's transaction, so a first run
of an empty source leaves the table, empty (`empty_tables`).

The first rule: hygge replaces or adds to only tables it created (recorded in
`_hygge.owners`, and carrying that row's mark: `sql.records`); a table it did not create (or
one recreated by someone else under an owned name) is refused unless `if_exists` says
`append` (adopt it, keep its definition) or `replace` (drop it, create it from the data).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hygge.errors import (
    ConfigError,
    RetryableError,
    StateError,
    StoreOwnershipError,
)
from hygge.faults import fault_point
from hygge.stores import adopted_tables
from hygge.stores.base import CommitRecord, Staging, lost_staging_advice
from hygge.stores.ownership import StoreOwner, refused_before_change
from hygge.stores.sql.attempts import attempts
from hygge.stores.sql.dialect import ROW_COLUMN, SEQUENCE_COLUMN
from hygge.stores.sql.names import TableName, entity_table
from hygge.stores.sql.publish_lock import take_publish_lock
from hygge.stores.sql.publish_rows import publish_rows, refuse_lost_columns, stage_known_columns
from hygge.stores.sql.records import Records, SqlDatabase, SqlSession
from hygge.stores.sql.schema import evolve, fit, incoming_types
from hygge.types import Place, RunType

if TYPE_CHECKING:
    import polars as pl

    from hygge.stores.sql.config import SqlStoreConfig


class SqlStore:
    """One entity's table in a SQL database, published in one transaction."""

    def __init__(self, config: SqlStoreConfig, database: SqlDatabase, place: Place) -> None:
        self.config, self.database, self.place = config, database, place
        self.dialect = database.dialect
        self.records = Records(self.dialect)
        self.where = f"{config.type} store of {place.flow}.{place.entity}"
        self.target = entity_table(
            config.table, config.db_schema, place.entity, self.where,
            default_schema=self.dialect.default_schema, max_name=self.dialect.max_name,
        )  # fmt: skip
        self.owner = StoreOwner.of(place, config.type)

    def prepare(self, run_id: str, run_type: RunType) -> Staging:
        if run_type is RunType.MERGE and not self.config.key_columns:
            raise ConfigError(
                f"{self.where}: run_type merge needs key_columns (the row identity to merge on)",
                hint="set key_columns: [id] on the entity or flow",
            )
        self._refuse_problem()
        location = self.dialect.staging_table(self.target, run_id)
        for attempt in attempts(self.database, f"cannot prepare {self.describe()}"):
            with attempt as session:
                self._refuse_foreign(session)
                self._refuse_full_drop(session, run_type)
                self.records.open_staging(session, location, self.target, run_id)
        return Staging(run_id=run_id, run_type=run_type, location=location.table)

    def write(self, staging: Staging, batch: pl.DataFrame) -> Staging:
        seq, location = staging.next_sequence, self._location(staging)
        frame = self.dialect.wire(batch)
        incoming = incoming_types(self.dialect, self.target, frame)
        incoming |= self.dialect.kept_types(batch)
        import polars as pl

        # a full_drop swapped into place keeps no staging order: no `_hygge_row` to send
        ordered = staging.run_type is not RunType.FULL_DROP or not self.dialect.swaps
        added = [pl.lit(seq, pl.Int32).alias(SEQUENCE_COLUMN)]
        if ordered:
            added.append(pl.int_range(0, pl.len(), dtype=pl.Int64).alias(ROW_COLUMN))
        frame = frame.with_columns(added)
        for attempt in attempts(self.database, f"cannot stage a batch for {self.describe()}"):
            with attempt as session:
                for statement in self.dialect.relaxed_commit():  # `sync` waits for it
                    session.execute(statement)
                self._require_staging(session, staging)
                if self.records.kind(session, location) is None:
                    staged = self.dialect.staging_columns()
                    columns = incoming | {
                        n: t for n, t in staged.items() if ordered or n != ROW_COLUMN
                    }
                    session.execute(self.dialect.create_table(location, columns))
                    for statement in self.dialect.index_staging(location):
                        session.execute(statement)
                else:
                    evolve(session, self.dialect, location, incoming)
                    self.records.forget_batch(session, location, seq)  # a retried write
                frame = fit(self.dialect, frame, self.records.columns(session, location))
                session.load(location, frame)
                self.records.record_batch(session, location, seq)
        return staging.model_copy(
            update={"artefacts": [*staging.artefacts, f"{seq:06d}"], "next_sequence": seq + 1}
        )

    def sync(self, staging: Staging) -> None:
        """Every write committed already; where a write's commit did not wait for the disk
        (`relaxed_commit`), this one waits for all of them, then checks they survived."""
        relaxed, location = bool(self.dialect.relaxed_commit()), self._location(staging)
        present = _sequences(staging)
        for attempt in attempts(self.database, f"cannot sync staging of {self.describe()}"):
            with attempt as session:
                self._require_staging(session, staging)
                if relaxed:
                    self.records.flush(session, location)
                    present = self.records.staged_sequences(session, location)
        lost = [name for name in staging.artefacts if int(name) not in present]
        if lost:  # a server restart before they reached its disk: none was listed yet
            raise RetryableError(
                f"staged batches {lost} of run {staging.run_id} are not in {location} in "
                f"{self.database.label()} (the server restarted before they reached its disk?); "
                "the chunk that staged them is read again (should it repeat, something else "
                "deletes rows of hygge's `_hygge` tables)"
            )

    def discard_unlisted(self, staging: Staging) -> None:
        listed, location = _sequences(staging), self._location(staging)
        for attempt in attempts(
            self.database, f"cannot discard staged batches of {self.describe()}"
        ):
            with attempt as session:
                for seq in self.records.staged_sequences(session, location) - listed:
                    self.records.forget_batch(session, location, seq)

    def missing_staged(self, staging: Staging) -> list[str]:
        if self.database.missing():
            return list(staging.artefacts)
        for attempt in attempts(self.database, f"cannot list staged batches of {self.describe()}"):
            with attempt as session:
                location = self._location(staging)
                present = self.records.staged_sequences(session, location)
                if not self.records.has_staging(session, location):
                    present = set()  # its record gone: the staging is no run's any more
        return [name for name in staging.artefacts if int(name) not in present]

    def publish(self, staging: Staging, record: CommitRecord | None = None) -> None:
        """Data, owner, completion marker and watermark in one transaction."""
        record = record or CommitRecord.of(staging)
        location = self._location(staging)
        for attempt in attempts(self.database, f"cannot publish to {self.describe()}"):
            with attempt as session:
                take_publish_lock(session, self.dialect, self.target, self.describe())
                if self.records.committed(session, self.target, staging.run_id):
                    self.records.drop_staging(session, location)
                    return
                with refused_before_change():
                    self._refuse_foreign(session)
                    users_rows, marked = self._refuse_full_drop(session, staging.run_type)
                self._require_staging(session, staging)
                present = self.records.staged_sequences(session, location)
                missing = [n for n in staging.artefacts if int(n) not in present]
                if missing:
                    raise StateError(
                        f"staged batches {missing} of run {staging.run_id} are gone from "
                        f"{location} in {self.database.label()}; "
                        f"{lost_staging_advice(self.place)}"
                    )
                refuse_lost_columns(self, session, staging, location)
                if not staging.artefacts:
                    stage_known_columns(self, session, staging, location)
                publish_rows(self, session, staging, location)
                fault_point("during_publish")  # rolled back: readers never see this
                self.records.record_owner(session, self.target, self.owner)
                adopted = adopted_tables.adopted_after(
                    users_rows, marked, staging.run_type, self.config.if_exists
                )
                self.records.set_adopted(session, self.target, adopted)
                self.records.mark_table(session, self.target)
                self.records.record_commit(session, self.target, staging.run_id, record)
                self.records.drop_staging(session, location)

    def last_commit(self) -> CommitRecord | None:
        if self.database.missing():
            return None
        for attempt in attempts(
            self.database, f"cannot read the commit record of {self.describe()}"
        ):
            with attempt as session:
                found = self.records.last_record(session, self.target)
        return found

    def abort(self, staging: Staging) -> None:
        if self.database.missing() or self.database.problem():
            return  # nothing of hygge's is there
        for attempt in attempts(self.database, f"cannot drop staging of {self.describe()}"):
            with attempt as session:
                self.records.drop_staging(session, self._location(staging))

    def check(self) -> list[str]:
        problem = self.ownership_problem()
        return [problem] if problem else []

    def ownership_problem(self) -> str | None:
        problem = self.database.problem()
        if problem or self.database.missing():
            return problem
        for attempt in attempts(self.database, f"cannot check the owner of {self.describe()}"):
            with attempt as session:
                found = self._foreign(session)
        return found

    def full_drop_refusal(self) -> str | None:
        if self.database.problem() or self.database.missing():
            return None  # nothing there yet (or `ownership_problem` says what is wrong)
        for attempt in attempts(self.database, f"cannot check the owner of {self.describe()}"):
            with attempt as session:
                exists = self.records.kind(session, self.target) is not None
                marked = exists and self.records.marked(session, self.target)
                owner = self.records.owner_of(session, self.target) if exists else None
        users_rows = adopted_tables.holds_users_rows(exists, owner, marked)
        where = f"table {self.target} in {self.database.label()}"
        return adopted_tables.full_drop_refusal(where, self.config.if_exists, users_rows)

    def held_rows(self) -> str | None:
        """The rows of this entity's table a run appends to (`stores.held_rows`)."""
        if self.database.problem() or self.database.missing():
            return None
        rows: object = 0
        for attempt in attempts(self.database, f"cannot count the rows of {self.describe()}"):
            with attempt as session:
                if self.records.kind(session, self.target) is not None:
                    ((rows,),) = session.rows(
                        f"SELECT count(*) FROM {self.dialect.sql(self.target)}"
                    )
        where = f"table {self.target} in {self.database.label()}"
        return f"{rows} row(s) in {where}" if rows else None

    def describe(self) -> str:
        return f"{self.database.label()} {self.target}"

    def identity(self) -> str:
        return f"{self.database.label()} {self.dialect.key(self.target)}"

    def _foreign(self, session: SqlSession) -> str | None:
        found = self.records.owner_of(session, self.target)
        where = f"table {self.target} in {self.database.label()}"
        if found is not None:
            if found.same_entity(self.owner) and not found.live_copy_of(self.owner):
                return self._unmarked(session, where, found)
            return (
                f"{where} belongs to {found.describe()} (hygge's _hygge owners table says so), "
                f"not to entity {self.owner.flow}.{self.owner.entity} of workspace "
                f"'{self.owner.workspace}' ({self.owner.workspace_root}); hygge will not "
                "replace or add to another store's table. Give this entity another `table`"
            )
        kind = self.records.kind(session, self.target)
        if kind is None:
            return None
        if kind != "BASE TABLE":
            return (
                f"{where} is a {kind.lower()} hygge did not create; hygge writes only tables. "
                "Give this entity another `table`, or drop it yourself"
            )
        if self.config.if_exists != "fail":
            return None
        ((rows,),) = session.rows(f"SELECT count(*) FROM {self.dialect.sql(self.target)}")
        return (
            f"{where} already exists ({rows} rows) and hygge did not create it; a run would "
            "replace or mix with its rows, so hygge refuses. Give this entity another `table`, "
            "or set `if_exists: append` on the store (keep the table and its rows, and write "
            "into it) or `if_exists: replace` (drop it and create it from the data)"
        )

    def _unmarked(self, session: SqlSession, where: str, found: StoreOwner) -> str | None:
        """None if the table under this entity's name is the one hygge created (or missing,
        or a table `if_exists` lets hygge adopt); else why hygge will not write it."""
        kind = self.records.kind(session, self.target)
        if kind is None or self.records.marked(session, self.target):
            return None
        if self.config.if_exists != "fail" and kind == "BASE TABLE":
            return None  # the user's table, which if_exists lets hygge adopt
        return (
            f"{where} is not the table hygge created for {found.describe()}: it lacks "
            f"hygge's mark ({self.dialect.mark_place}), so it was created or replaced by "
            "someone else (a table hygge created keeps its mark when renamed; one written by "
            "a hygge older than the mark has none). hygge will not replace or add to it. "
            "Rename or drop it, give this entity another `table`, or set `if_exists: append` "
            "(write into it) or `replace` (drop it, create it from the data) on the store"
        )

    def _refuse_full_drop(self, session: SqlSession, run_type: RunType) -> tuple[bool, bool]:
        """Refuse a full_drop that would delete rows hygge did not write; return whether the
        table holds such rows and whether it carries hygge's mark."""
        exists = self.records.kind(session, self.target) is not None
        marked = exists and self.records.marked(session, self.target)
        owner = self.records.owner_of(session, self.target) if exists else None
        users_rows = adopted_tables.holds_users_rows(exists, owner, marked)
        where = f"table {self.target} in {self.database.label()}"
        adopted_tables.refuse_full_drop(where, run_type, self.config.if_exists, users_rows)
        return users_rows, marked

    def _refuse_problem(self) -> None:
        problem = self.database.problem()
        if problem:
            raise StoreOwnershipError(problem)

    def _refuse_foreign(self, session: SqlSession) -> None:
        problem = self._foreign(session)
        if problem:
            raise StoreOwnershipError(problem)

    def _require_staging(self, session: SqlSession, staging: Staging) -> None:
        if not self.records.has_staging(session, self._location(staging)):
            raise StateError(
                f"staging {staging.location} of run {staging.run_id} is gone from "
                f"{self.database.label()} (aborted, or published already)"
            )

    def _location(self, staging: Staging) -> TableName:
        expected = self.dialect.staging_table(self.target, staging.run_id)
        if staging.location != expected.table:
            raise StateError(
                f"staging {staging.location!r} is not this store's staging of run "
                f"{staging.run_id} ({expected.table}); the checkpoint belongs to another store"
            )
        return expected


def _sequences(staging: Staging) -> set[int]:
    return {int(name) for name in staging.artefacts}
