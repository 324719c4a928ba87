"""`type: duckdb`: an entity's rows in a table of a DuckDB database file.

    store: {type: duckdb, path: lake.duckdb, table: "{entity}"}     # path: workspace-relative

Each run stages its batches in a table of hygge's schema `_hygge` (Arrow ingest, one
`_hygge_seq` per batch so a resumed run drops exactly the batches no checkpoint listed), then
publishes in one transaction: full_drop swaps the table for the staged rows, incremental
inserts them, merge replaces the rows whose `key_columns` match and inserts the rest, and the
completion marker (the CommitRecord, watermark included) commits with them. A repeated publish
of a committed run changes nothing. Tables are created from the data's types (DuckDB's Arrow
map); later runs add new columns and widen types safely (`duckdb_schema`).

The first rule: hygge replaces or adds to only tables it created (recorded in
`_hygge.owners`); a table it finds that it did not create is refused unless `if_exists` says
`append` (adopt it, keep its definition) or `replace` (drop it, create it from the data).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from hygge.errors import (
    ConfigError,
    DataError,
    EntityLockedError,
    MissingDependencyError,
    StateError,
    StoreOwnershipError,
)
from hygge.faults import fault_point
from hygge.stores import duckdb_owners as owners
from hygge.stores import duckdb_records as records
from hygge.stores.base import CommitRecord, Staging
from hygge.stores.base import lost_staging_advice as lost_advice
from hygge.stores.duckdb_config import DuckdbStoreConfig
from hygge.stores.duckdb_database import Database, open_database, path_problem
from hygge.stores.duckdb_names import TableName, parse_table, quote
from hygge.stores.duckdb_schema import SEQUENCE_COLUMN, evolve, table_columns
from hygge.stores.known_columns import empty_frame
from hygge.stores.ownership import StoreOwner, refused_before_change
from hygge.types import Place, RunType

if TYPE_CHECKING:
    import duckdb
    import polars as pl

_RUN_TYPES = frozenset(RunType)
_BATCH_VIEW = "_hygge_batch"


class DuckdbStore:
    """One entity's table in a DuckDB database, published in one transaction."""

    def __init__(self, config: DuckdbStoreConfig, path: Path, place: Place) -> None:
        self.config, self.path, self.place = config, path, place
        table = config.table.replace("{entity}", place.entity)  # the loader did, if it loaded
        self.target = parse_table(table, config.db_schema, self._where())
        self.owner = StoreOwner.of(place, "duckdb")

    def prepare(self, run_id: str, run_type: RunType) -> Staging:
        if run_type not in _RUN_TYPES:
            raise ConfigError(f"{self.describe()} cannot {run_type.value}")
        if run_type is RunType.MERGE and not self.config.key_columns:
            raise ConfigError(
                f"{self._where()}: run_type merge needs key_columns (the row identity to merge on)",
                hint="set key_columns: [id] on the entity or flow",
            )
        location = records.staging_table(self.target, run_id)
        with self._database().transaction() as cursor:
            self._refuse_foreign(cursor)
            owners.refuse_full_drop(cursor, self.target, self.path, run_type, self.config.if_exists)
            records.open_staging(cursor, location, self.target, run_id)
        return Staging(run_id=run_id, run_type=run_type, location=location.table)

    def write(self, staging: Staging, batch: pl.DataFrame) -> Staging:
        _refuse_unwritable(batch, self.target)
        seq, location = staging.next_sequence, self._location(staging)
        with self._database().transaction() as cursor:
            self._require_staging(cursor, staging)
            cursor.register(_BATCH_VIEW, batch.to_arrow())
            try:
                _stage_batch(cursor, location, seq)
            finally:
                cursor.unregister(_BATCH_VIEW)
            records.record_staged(cursor, location, seq, batch.height)
        return staging.model_copy(
            update={"artefacts": [*staging.artefacts, f"{seq:06d}"], "next_sequence": seq + 1}
        )

    def sync(self, staging: Staging) -> None:
        with self._database().transaction() as cursor:  # a commit is durable (DuckDB's WAL)
            self._require_staging(cursor, staging)

    def discard_unlisted(self, staging: Staging) -> None:
        listed, location = _sequences(staging), self._location(staging)
        with self._database().transaction() as cursor:
            for seq in records.staged_sequences(cursor, location):
                if seq in listed:
                    continue
                cursor.execute(
                    f"DELETE FROM {location.sql()} WHERE {quote(SEQUENCE_COLUMN)} = ?", [seq]
                )
                records.forget_staged(cursor, location, seq)

    def missing_staged(self, staging: Staging) -> list[str]:
        if not self.path.exists():
            return list(staging.artefacts)
        with self._database().transaction() as cursor:
            present = records.staged_sequences(cursor, self._location(staging))
        return [name for name in staging.artefacts if int(name) not in present]

    def publish(self, staging: Staging, record: CommitRecord | None = None) -> None:
        """Data, owner, completion marker and watermark in one transaction."""
        record = record or CommitRecord.of(staging)
        location = self._location(staging)
        empty = empty_frame(staging) if not staging.artefacts else None
        if empty is not None and self._takes_columns(staging):  # a 0-row run: no rows staged
            self.discard_unlisted(staging)
            staging = self.write(staging, empty)
        with self._database().transaction() as cursor:
            if records.committed(cursor, self.target, staging.run_id):
                records.drop_staging(cursor, location)
                return
            with refused_before_change():
                self._refuse_foreign(cursor)
                mode = (staging.run_type, self.config.if_exists)
                before = owners.refuse_full_drop(cursor, self.target, self.path, *mode)
            self._require_staging(cursor, staging)
            staged = records.staged_sequences(cursor, location)  # once, not once per batch
            missing = [n for n in staging.artefacts if int(n) not in staged]
            if missing:
                raise StateError(
                    f"staged batches {missing} of run {staging.run_id} are gone from "
                    f"{location} in {self.path}; {lost_advice(self.place)}"
                )
            self._publish_rows(cursor, staging, location)
            fault_point("during_publish")  # rolled back: readers never see this
            records.record_owner(cursor, self.target, self.owner)
            owners.settle_adoption(cursor, self.target, before, *mode)
            records.mark_table(cursor, self.target)
            records.record_commit(cursor, self.target, staging.run_id, record)
            records.drop_staging(cursor, location)

    def _takes_columns(self, staging: Staging) -> bool:
        """Whether a 0-row run stages its columns: a full_drop, or an incremental or merge
        run with no table yet; not a run published already (killed after its commit)."""
        with self._database().transaction() as cursor:
            if records.committed(cursor, self.target, staging.run_id):
                return False
            if staging.run_type is RunType.FULL_DROP:
                return True
            return records.table_kind(cursor, self.target) is None

    def last_commit(self) -> CommitRecord | None:
        if not self.path.exists():
            return None
        with self._database().transaction() as cursor:
            return records.last_record(cursor, self.target)

    def abort(self, staging: Staging) -> None:
        if not self.path.exists() or path_problem(self.path):
            return  # nothing of hygge's is there
        with self._database().transaction() as cursor:
            records.drop_staging(cursor, self._location(staging))

    def check(self) -> list[str]:
        try:
            problem = self.ownership_problem()
        except (MissingDependencyError, EntityLockedError) as error:  # no extra; file in use
            return [str(error)]
        return [problem] if problem else []

    def ownership_problem(self) -> str | None:
        problem = path_problem(self.path)
        if problem or not self.path.exists():
            return problem
        with self._database().transaction() as cursor:
            return self._foreign(cursor)

    def full_drop_refusal(self) -> str | None:
        if path_problem(self.path) or not self.path.exists():
            return None  # nothing there yet (or `ownership_problem` says what is wrong)
        with self._database().transaction() as cursor:
            return owners.full_drop_refusal(cursor, self.target, self.path, self.config.if_exists)

    def held_rows(self) -> str | None:
        """The rows of this entity's table a run appends to (`stores.held_rows`)."""
        if path_problem(self.path) or not self.path.exists():
            return None
        with self._database().transaction() as cursor:
            if records.table_kind(cursor, self.target) is None:
                return None
            row = cursor.execute(f"SELECT count(*) FROM {self.target.sql()}").fetchone()
        rows = row[0] if row else 0
        return f"{rows} row(s) in table {self.target} in {self.path.name}" if rows else None

    def describe(self) -> str:
        return f"duckdb {self.path.name} {self.target}"

    def identity(self) -> str:
        return f"duckdb {self.place.real_label(self.path)} {self.target.key()}"

    def _publish_rows(
        self, cursor: duckdb.DuckDBPyConnection, staging: Staging, location: TableName
    ) -> None:
        staged = {n: t for n, t in table_columns(cursor, location).items() if n != SEQUENCE_COLUMN}
        kind = records.table_kind(cursor, self.target)
        adopting = kind is not None and not owners.marked(cursor, self.target)
        keep_table = kind is not None and (not adopting or self.config.if_exists == "append")
        if not staged:  # no batch was staged: there is no schema to create a table from
            if staging.run_type is RunType.FULL_DROP and kind is not None:
                cursor.execute(f"DELETE FROM {self.target.sql()}")
            return
        rows = self._staged_rows(location, list(staged), staging.run_type)
        if staging.run_type is RunType.FULL_DROP and keep_table and adopting:
            cursor.execute(f"DELETE FROM {self.target.sql()}")
        elif staging.run_type is RunType.FULL_DROP or not keep_table:
            cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(self.target.schema)}")
            cursor.execute(f"DROP TABLE IF EXISTS {self.target.sql()}")
            cursor.execute(f"CREATE TABLE {self.target.sql()} AS {rows}")
            return
        evolve(cursor, self.target, staged)
        if staging.run_type is RunType.MERGE:
            match = " AND ".join(
                f"t.{quote(k)} IS NOT DISTINCT FROM s.{quote(k)}" for k in self.config.key_columns
            )
            cursor.execute(
                f"DELETE FROM {self.target.sql()} AS t WHERE EXISTS "
                f"(SELECT 1 FROM {location.sql()} AS s WHERE {match})"
            )
        cursor.execute(f"INSERT INTO {self.target.sql()} BY NAME {rows}")

    def _staged_rows(self, location: TableName, staged: list[str], run_type: RunType) -> str:
        """The SELECT of the rows a publish writes, in staging order; for a merge only the
        last staged row of each key (null keys are one key)."""
        columns = ", ".join(quote(name) for name in staged)
        order = f"{quote(SEQUENCE_COLUMN)}, rowid"
        if run_type is not RunType.MERGE:
            return f"SELECT {columns} FROM {location.sql()} ORDER BY {order}"
        keys = self.config.key_columns
        lacking = [key for key in keys if key not in staged]
        if lacking:
            raise DataError(
                f"table {self.target}: merge key_columns {lacking} are not in the data (it "
                f"has {', '.join(staged)}); fix key_columns or the home"
            )
        partition = ", ".join(quote(k) for k in keys)
        return (
            f"SELECT {columns} FROM {location.sql()} QUALIFY row_number() OVER (PARTITION BY "
            f"{partition} ORDER BY {quote(SEQUENCE_COLUMN)} DESC, rowid DESC) = 1 ORDER BY {order}"
        )

    def _foreign(self, cursor: duckdb.DuckDBPyConnection) -> str | None:
        return owners.foreign(cursor, self.target, self.owner, self.path, self.config.if_exists)

    def _refuse_foreign(self, cursor: duckdb.DuckDBPyConnection) -> None:
        problem = self._foreign(cursor)
        if problem:
            raise StoreOwnershipError(problem)

    def _require_staging(self, cursor: duckdb.DuckDBPyConnection, staging: Staging) -> None:
        if not records.has_staging(cursor, self._location(staging)):
            raise StateError(
                f"staging {staging.location} of run {staging.run_id} is gone from {self.path} "
                "(aborted, or published already)"
            )

    def _location(self, staging: Staging) -> TableName:
        expected = records.staging_table(self.target, staging.run_id)
        if staging.location != expected.table:
            raise StateError(
                f"staging {staging.location!r} is not this store's staging of run "
                f"{staging.run_id} ({expected.table}); the checkpoint belongs to another store"
            )
        return expected

    def _database(self) -> Database:
        """The database, with hygge's `_hygge` tables made once per process (a database
        someone else created has none)."""
        database = open_database(self.path)
        if not database.records_ready:
            with database.transaction() as cursor:
                records.create_records(cursor)
            database.records_ready = True
        return database

    def _where(self) -> str:
        return f"duckdb store of {self.place.flow}.{self.place.entity}"


def _stage_batch(cursor: duckdb.DuckDBPyConnection, location: TableName, seq: int) -> None:
    """Append the registered batch to the staging table (created by the first batch)."""
    sequence = f"CAST({int(seq)} AS INTEGER) AS {quote(SEQUENCE_COLUMN)}"
    if not table_columns(cursor, location):
        cursor.execute(
            f"CREATE TABLE {location.sql()} AS SELECT *, {sequence} FROM {quote(_BATCH_VIEW)}"
        )
        return
    described = cursor.execute(f"DESCRIBE SELECT * FROM {quote(_BATCH_VIEW)}").fetchall()
    evolve(cursor, location, {str(row[0]): str(row[1]) for row in described})
    cursor.execute(
        f"DELETE FROM {location.sql()} WHERE {quote(SEQUENCE_COLUMN)} = ?", [seq]
    )  # a retried write of the same batch
    cursor.execute(
        f"INSERT INTO {location.sql()} BY NAME SELECT *, {sequence} FROM {quote(_BATCH_VIEW)}"
    )


def _refuse_unwritable(batch: pl.DataFrame, target: TableName) -> None:
    """DataError for columns DuckDB cannot hold as hygge writes them, naming them."""
    seen: dict[str, str] = {}
    for name, dtype in batch.schema.items():
        if name == SEQUENCE_COLUMN:
            raise DataError(
                f"table {target}: column {name} is a name hygge keeps for itself in staging; "
                "rename the column (polish renames)"
            )
        if "Duration" in str(dtype):
            raise DataError(
                f"table {target}: column {name} is a {dtype}; DuckDB holds durations as "
                "INTERVAL, which does not read back as the same values. Cast it to an integer "
                "(e.g. microseconds) in the home, or use a parquet store"
            )
        twin = seen.get(name.casefold())
        if twin is not None:
            raise DataError(
                f"table {target}: columns {twin!r} and {name!r} differ only in case, and "
                "DuckDB column names ignore case; rename one of them (polish renames)"
            )
        seen[name.casefold()] = name


def _sequences(staging: Staging) -> set[int]:
    return {int(name) for name in staging.artefacts}
