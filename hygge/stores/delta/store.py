"""The delta store: batches staged as parquet in the table folder, published in one Delta commit.

    prepare   takes the next version of the entity's app transaction (`commits`)
    write     stages a batch as `hygge-data/<run>/<seq>.parquet` in the table folder, its
              size and Delta statistics in the staging (`files`)
    publish   one commit: full_drop overwrites (schema replaced), incremental appends (new
              columns added), merge upserts on `key_columns`; the staged files become the
              table's data files where they fit as they are, else delta-rs writes the rows
              anew; the app transaction and the CommitRecord are in the same commit, so a
              repeated publish commits nothing
    abort     drops the staging of a run that did not commit; the table is untouched

Readers (polars, DuckDB, Spark, Fabric) read only what the log names, so staged files and
hygge's marker never show.
"""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING, Any

from hygge.errors import ConfigError, DataError, HyggeError, StateError, StoreOwnershipError
from hygge.faults import fault_point
from hygge.io.atomic import remove_empty_dir
from hygge.storage import join_key
from hygge.stores.base import CommitRecord, Staging, lost_staging_advice
from hygge.stores.delta import commits, files, merge, staged
from hygge.stores.delta.owner import DATA, RUN_MARKER, STAGING, table_problem
from hygge.stores.delta.schema import delta_frame, refuse_unfit
from hygge.stores.file_marker import write_marker
from hygge.stores.known_columns import empty_frame
from hygge.stores.ownership import StoreOwner
from hygge.types import Place, RunType

if TYPE_CHECKING:
    import polars as pl
    import pyarrow as pa
    from deltalake import DeltaTable

    from hygge.stores.delta.config import DeltaStoreConfig
    from hygge.stores.delta.location import DeltaLocation

VERSION_KEY = "version"  # Staging.extra: the app transaction version this run commits
log = logging.getLogger(__name__)


class DeltaStore:
    """One entity's Delta table."""

    def __init__(self, config: DeltaStoreConfig, place: Place, location: DeltaLocation) -> None:
        self.config, self.place, self.location = config, place, location
        self.owner = StoreOwner.of(place, "delta")
        self.app = commits.app_id(self.owner)

    def prepare(self, run_id: str, run_type: RunType) -> Staging:
        if run_type is RunType.MERGE and not self.config.key_columns:
            raise ConfigError(
                f"{self._where()}: run_type merge needs key_columns (the row identity to merge on)",
                hint="set key_columns: [id] on the entity or flow",
            )
        self._refuse_foreign()
        table = self._table()
        commits.refuse_unwritable(table, run_type, self.location.label)
        version = commits.committed_version(table, self.app) + 1
        location = self._staging_key(run_id)
        self.location.storage.put(join_key(location, RUN_MARKER), f"{version}\n".encode())
        return Staging(
            run_id=run_id, run_type=run_type, location=location, extra={VERSION_KEY: version}
        )

    def write(self, staging: Staging, batch: pl.DataFrame) -> Staging:
        self._require_staging(staging)
        seq = staging.next_sequence
        name = f"{seq:06d}.parquet"
        buffer = io.BytesIO()
        frame = delta_frame(batch, self.location.label)
        frame.write_parquet(buffer, compression="snappy")
        self._location(staging)
        data = buffer.getvalue()
        self.location.storage.put(join_key(self._data(staging), name), data)
        extra = staged.with_schema(staging, frame.head(0).to_arrow().schema)
        extra = files.with_file(staging, extra, name, frame, len(data))
        return staging.model_copy(
            update={
                "artefacts": [*staging.artefacts, name],
                "next_sequence": seq + 1,
                "extra": extra,
            }
        )

    def sync(self, staging: Staging) -> None:
        """Nothing to do: every staged file is put whole and durable."""

    def discard_unlisted(self, staging: Staging) -> None:
        self._location(staging)
        listed = {*staging.artefacts, RUN_MARKER}  # (the marker: a run staged beside it)
        for info in list(self.location.storage.list(self._data(staging))):
            if info.key.rsplit("/", 1)[-1] not in listed:
                self.location.storage.delete(info.key)

    def missing_staged(self, staging: Staging) -> list[str]:
        self._location(staging)
        folder = self._data(staging)
        present = {i.key.rsplit("/", 1)[-1] for i in self.location.storage.list(folder)}
        return [name for name in staging.artefacts if name not in present]

    def publish(self, staging: Staging, record: CommitRecord | None = None) -> None:
        """Data, app transaction and CommitRecord in one Delta commit; once per run."""
        record = record or CommitRecord.of(staging)
        version = self._version(staging)
        table = self._table()
        if commits.committed_version(table, self.app) >= version:
            self._clean(staging)  # committed before a crash: only the clean-up was left
            return  # (files a rewrite left unreferenced then: vacuum deletes them)
        self._refuse_foreign()
        missing = self.missing_staged(staging)
        if missing:
            raise StateError(
                f"staged files {missing} of run {staging.run_id} are gone from "
                f"{self.location.storage.describe(self._data(staging))}; "
                f"{lost_staging_advice(self.place)}"
            )
        write_marker(self.location.storage, self.location.prefix, self.owner, self.location.prefix)
        properties = commits.properties(self.app, version, record)

        def commit() -> None:
            # Written on the snapshot its version was checked at: a commit of the same run by
            # another attempt since then is a conflict (then `landed`), never a second append.
            current = self._table()
            if commits.committed_version(current, self.app) < version:
                self._commit(staging, current, properties)

        def landed() -> bool:
            return commits.committed_version(self._table(), self.app) >= version

        commits.commit_with_retries(self.location.label, commit, landed)
        fault_point("during_publish")  # committed; the staging is still there
        self._clean(staging, unreferenced_of=self._table())
        self._maintain(version)

    def last_commit(self) -> CommitRecord | None:
        return commits.last_record(self._table(), self.location.label)

    def abort(self, staging: Staging) -> None:
        version = staging.extra.get(VERSION_KEY)
        dl = commits.deltalake()
        try:
            table = self._table()
            committed = not isinstance(version, int) or (
                commits.committed_version(table, self.app) >= version
            )
        except (dl.exceptions.DeltaError, HyggeError, OSError):
            committed = True  # the log cannot be read: keep the files, vacuum decides later
        # A run that committed keeps its files (the table may read them); else none is read.
        self._clean(staging, committed=committed)

    def check(self) -> list[str]:
        try:
            problem = self.ownership_problem()
        except HyggeError as error:
            return [str(error)]
        return [problem] if problem else []

    def held_rows(self) -> str | None:
        """What the table's current version holds that a run appends to (`held_rows`)."""
        table = self._table() if self.ownership_problem() is None else None
        files = len(table.file_uris()) if table is not None else 0
        return f"{files} data file(s) in {self.describe()}" if files else None

    def full_drop_refusal(self) -> str | None:
        return None  # adopts no table: a full_drop replaces only what hygge owns

    def ownership_problem(self) -> str | None:
        return table_problem(self.location, self.owner, adopt=self.config.adopt_existing)

    def describe(self) -> str:
        return f"delta {self.location.label}"

    def identity(self) -> str:
        return f"delta {self.location.label}"

    # -- publishing ------------------------------------------------------------------------

    def _commit(self, staging: Staging, table: DeltaTable | None, properties: Any) -> None:
        """One Delta commit of the staged rows for the run type."""
        dl = commits.deltalake()
        if staging.artefacts and files.committable(staging, table, bool(self.config.partition_by)):
            files.commit(dl, self.location, staging, table, properties)
            return
        options = self.location.storage_options
        target: Any = table if table is not None else self.location.uri
        data: Any = staged.stream(self.location.storage, self._data(staging), staging)
        if staging.run_type is RunType.FULL_DROP and data is None:
            # An empty source empties the table, its schema replaced by the run's columns
            # where the engine knows their types, else (a header-only csv's) kept.
            data = self._columns_known(staging)
            if data is None and table is None:
                return  # nothing staged, no columns known and no table: nothing to empty
            if data is None:
                data = _arrow_schema(table).empty_table()
        partitions = self._partition_by(
            staging.run_type, data.schema if data is not None else None, table
        )
        if staging.run_type is RunType.FULL_DROP:
            dl.write_deltalake(
                target, data, mode="overwrite", schema_mode="overwrite", partition_by=partitions,
                storage_options=options, commit_properties=properties,
            )  # fmt: skip
            return
        if data is None:
            return
        if table is not None:
            refuse_unfit(_arrow_schema(table), data.schema, self.location.label)
        is_marked = False
        if staging.run_type is RunType.MERGE:
            keys, label = self.config.key_columns, self.location.label
            data = merge.last_of_each_key(data.read_all(), keys, label)
            is_marked = merge.marked(data, table, label)
            if is_marked and table is None:
                data = merge.kept_rows(data)  # deletes of rows no table holds yet
        if staging.run_type is RunType.INCREMENTAL or table is None:
            dl.write_deltalake(
                target, data, mode="append", schema_mode="merge", partition_by=partitions,
                storage_options=options, commit_properties=properties,
            )  # fmt: skip
            return
        merge.merge_into(
            table, data, self.config.key_columns, is_marked=is_marked, properties=properties,
            label=self.location.label,
        )  # fmt: skip

    def _partition_by(
        self, run_type: RunType, schema: pa.Schema | None, table: DeltaTable | None
    ) -> list[str] | None:
        """The table's partition columns (`partition_by`); DataError naming one the run's data
        lacks, or a partitioning other than the existing table's (a full_drop replaces it).
        Without `partition_by`, an incremental or merge run keeps the table's own."""
        wanted = list(self.config.partition_by)
        if schema is not None:
            lacking = [name for name in wanted if name not in schema.names]
            if lacking:
                raise DataError(
                    f"Delta table {self.location.label}: partition_by {lacking} "
                    f"{'is' if len(lacking) == 1 else 'are'} not a column of the data (it has "
                    f"{', '.join(schema.names)}); fix partition_by or the home"
                )
            if wanted and set(wanted) >= set(schema.names):
                raise DataError(
                    f"Delta table {self.location.label}: partition_by names every column of "
                    f"the data ({', '.join(schema.names)}); a Delta table keeps at least one "
                    "column in its files. Partition by fewer columns"
                )
        have = list(table.metadata().partition_columns) if table is not None else []
        if not wanted and run_type is not RunType.FULL_DROP:
            return None  # the table's own partitioning (an adopted table's, say) stays
        if not wanted and have and schema is not None and not set(have) <= set(schema.names):
            return []  # a full_drop of data without the table's partition column: unpartitioned
        if table is not None and have != wanted and run_type is not RunType.FULL_DROP:
            raise DataError(
                f"Delta table {self.location.label} is partitioned by {have or 'nothing'} "
                f"but the store says partition_by: {wanted or '[]'}; a {run_type.value} "
                "run keeps the table's partitioning. Run a full_drop to re-partition it, or "
                "set partition_by to match"
            )
        return wanted or None

    def _columns_known(self, staging: Staging) -> pa.Table | None:
        """An empty table of the run's columns as the engine knows them (nothing staged)."""
        empty = empty_frame(staging)
        return None if empty is None else delta_frame(empty, self.location.label).to_arrow()

    def _maintain(self, version: int) -> None:
        """optimize / vacuum after every N-th publish; a failure is logged, never raised (the
        data is committed, and the next N-th publish tries again)."""
        optimize, vacuum = self.config.optimize_every, self.config.vacuum_every
        due_optimize = optimize is not None and version % optimize == 0
        due_vacuum = vacuum is not None and version % vacuum == 0
        if not (due_optimize or due_vacuum):
            return
        dl = commits.deltalake()
        try:
            table = self._table()
            assert table is not None
            if due_optimize:
                table.optimize.compact()
            if due_vacuum:
                hours = self.config.vacuum_retention_hours
                table.vacuum(retention_hours=hours, dry_run=False, enforce_retention_duration=False)
                self._drop_empty_run_folders()
        except (dl.exceptions.DeltaError, OSError) as error:
            log.warning("%s: optimize/vacuum failed (%s); the next due run tries again",
                        self.describe(), error)  # fmt: skip

    def _drop_empty_run_folders(self) -> None:
        """On a local disk, the `hygge-data/<run>` folders vacuum emptied (it deletes files)."""
        data = self.location.local / DATA if self.location.local is not None else None
        if data is None or data.is_symlink() or not data.is_dir():
            return
        for folder in data.iterdir():
            if folder.is_dir() and not folder.is_symlink():
                remove_empty_dir(folder)

    # -- places ----------------------------------------------------------------------------

    def _table(self) -> DeltaTable | None:
        return commits.open_table(self.location)

    def _refuse_foreign(self) -> None:
        problem = self.ownership_problem()
        if problem:
            raise StoreOwnershipError(problem)

    def _clean(
        self, staging: Staging, *, unreferenced_of: DeltaTable | None = None, committed: bool = True
    ) -> None:
        """Drop the run's staging marker and those of its files `unreferenced_of` (the table
        as it is now) does not read; all of them when the run never `committed`."""
        storage, local = self.location.storage, self.location.local
        data = self._data(staging)
        if not committed:
            storage.delete_prefix(data)
        elif unreferenced_of is not None:
            kept = files.referenced(unreferenced_of, staging.run_id)
            for info in list(storage.list(data)):
                if info.key.rsplit("/", 1)[-1] not in kept:
                    storage.delete(info.key)
        storage.delete_prefix(self._location(staging))
        if local is not None:  # on a local disk folders outlive their files
            for folder in (local / STAGING / staging.run_id, local / DATA / staging.run_id):
                if remove_empty_dir(folder):
                    remove_empty_dir(folder.parent)

    def _require_staging(self, staging: Staging) -> None:
        if self.location.storage.stat(join_key(self._location(staging), RUN_MARKER)) is None:
            raise StateError(
                f"staging {staging.location} of run {staging.run_id} is gone from "
                f"{self.location.label} (aborted, or published already)"
            )

    def _data(self, staging: Staging) -> str:
        """Where the run's files are: `hygge-data/<run>`, or for a run staged by hygge before
        it kept their statistics, beside its marker (that run is rewritten by delta-rs)."""
        if staging.artefacts and files.FILES_KEY not in staging.extra:
            return self._location(staging)
        return files.data_folder(self.location.prefix, staging.run_id)

    def _staging_key(self, run_id: str) -> str:
        return join_key(self.location.prefix, STAGING, run_id)

    def _location(self, staging: Staging) -> str:
        expected = self._staging_key(staging.run_id)
        if staging.location != expected:
            raise StateError(
                f"staging {staging.location!r} is not this store's staging of run "
                f"{staging.run_id} ({expected}); the checkpoint belongs to another store"
            )
        return expected

    def _version(self, staging: Staging) -> int:
        version = staging.extra.get(VERSION_KEY)
        if not isinstance(version, int) or version < 1:
            raise StateError(
                f"{self._where()}: the checkpoint of run {staging.run_id} names no Delta app "
                "transaction version; it was not prepared by a delta store. Run `hygge reset` "
                "for this entity"
            )
        return version

    def _where(self) -> str:
        return f"delta store of {self.place.flow}.{self.place.entity}"


def _arrow_schema(table: DeltaTable | None) -> pa.Schema:
    import pyarrow as pa

    assert table is not None
    return pa.schema(table.schema().to_arrow())
