"""The Open Mirroring store: one entity's table folder in a Fabric landing zone.

Where things are (keys of one storage: the container, or the local folder holding `path`):

    <landing>/[<schema>.schema/]<table>/      the table folder Fabric reads
        _metadata.json  _schema.json  _hygge_store.json (owner + completion marker)
        00000000000000000001.parquet ...      data, `__rowMarker__` last
    <landing>/_partnerEvents.json             the partner and the source
    <landing>/../_hygge_staging/<table>/<run>/  staged files (beside the landing zone, so
                                              Fabric never sees them)

`<landing>` is `<mirror_name>/Files/LandingZone` in a container, or the local `path:`.
A run stages parquet files (the row marker added), then `publish` (`publish.py`) decides the
published names, records them in the staging folder before any file moves, and lands them.
The table folder is replaced or added to only when this entity's marker says it is hygge's.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path, PurePath

import polars as pl

from hygge.errors import ConfigError, StateError
from hygge.io.atomic import fsync_dir, remove_empty_dir
from hygge.io.patterns import short_run_id
from hygge.io.unsafe_folders import unsafe_reason, user_homes
from hygge.io.writers import write_frame
from hygge.polish.config import ROW_MARKERS
from hygge.storage import LocalStorage, ObjectStorage, join_key
from hygge.stores.artefact_names import listed_names, staged_name
from hygge.stores.base import CommitRecord, Staging
from hygge.stores.commit_marker import read_commits
from hygge.stores.file_marker import place_problem
from hygge.stores.open_mirroring import spec
from hygge.stores.open_mirroring.config import OpenMirroringStoreConfig
from hygge.stores.open_mirroring.publish import PLAN, Publisher
from hygge.stores.ownership import StoreOwner, StoreOwnershipError
from hygge.types import Place, RunType

STAGING_DIR = "_hygge_staging"
OPEN = "_hygge_staging_open"  # in a run's staging folder while it may stage


class OpenMirroringStore:
    """Stages an entity's batches and lands them in its table folder (see module docstring)."""

    def __init__(
        self, config: OpenMirroringStoreConfig, place: Place, storage: ObjectStorage, landing: str
    ) -> None:
        self.config, self.place, self.storage = config, place, storage
        self.landing = landing.strip("/")
        folder = f"{config.schema_name}.schema" if config.schema_name else ""
        self.table = join_key(self.landing, folder, place.entity)
        parent = self.landing.rpartition("/")[0]
        key = f"{config.schema_name}.{place.entity}" if config.schema_name else place.entity
        self.staging_root = join_key(parent, STAGING_DIR, key)
        self.where = f"open_mirroring store of {place.flow}.{place.entity}"
        self.publisher = Publisher(self)

    # --- staging -----------------------------------------------------------------------

    def prepare(self, run_id: str, run_type: RunType) -> Staging:
        """An empty staging folder for the run, after the ownership and key checks."""
        if not self.config.capabilities.supports(run_type):
            raise ConfigError(f"{self.where} cannot {run_type.value}")
        if run_type is RunType.MERGE and not self.config.key_columns:
            raise ConfigError(
                f"{self.where}: a merge run needs key_columns (Fabric upserts by keyColumns)",
                hint="set key_columns on the entity or the store",
            )
        self.refuse_foreign()
        if run_type is not RunType.FULL_DROP:
            self.publisher.refuse_changed_keys()
        location = join_key(self.staging_root, short_run_id(run_id, length=64))
        self.storage.delete_prefix(location)  # a leftover of this same run
        self.storage.put(join_key(location, OPEN), run_id.encode())
        return Staging(run_id=run_id, run_type=run_type, location=location)

    def marker(self, run_type: RunType) -> int:
        """The `__rowMarker__` of a run type: a full_drop inserts into the replaced folder."""
        if run_type is RunType.FULL_DROP:
            return 0
        if run_type is RunType.MERGE:
            return 4
        return self.config.marker_for_incremental()

    def write(self, staging: Staging, batch: pl.DataFrame) -> Staging:
        """Stage the batch as one parquet file, `__rowMarker__` its last column."""
        location = self.live_staging(staging)
        frame = spec.with_marker(batch, self.marker(staging.run_type), self.where)
        name = staged_name(f"part-{staging.next_sequence:06d}.parquet", staging.attempt_id)
        key, compression = join_key(location, name), self.config.compression
        local = self.storage.local_path(key)
        if local is not None:
            write_frame(frame, local, "parquet", {}, compression=compression, sync_dir=False)
        else:
            with tempfile.TemporaryDirectory(prefix="hygge-stage-") as folder:
                path = Path(folder) / "part.parquet"
                write_frame(frame, path, "parquet", {}, compression=compression)
                with path.open("rb") as data:
                    self.storage.put(key, data)
        extra = {**staging.extra, "columns": spec.schema_file(frame.schema)}
        return staging.model_copy(
            update={
                "artefacts": [*staging.artefacts, name],
                "next_sequence": staging.next_sequence + 1,
                "extra": extra,
            }
        )

    def sync(self, staging: Staging) -> None:
        """Make the staged files' entries durable before a checkpoint lists them."""
        folder = self.storage.local_path(self.live_staging(staging))
        if folder is not None:
            fsync_dir(folder)

    def discard_unlisted(self, staging: Staging) -> None:
        """Delete staged files the checkpoint does not list (written after it)."""
        if not self.is_staged_set(staging):
            return
        keep = {*listed_names(staging.artefacts), OPEN, PLAN}
        start = len(staging.location) + 1
        for info in self.storage.list(staging.location):
            if info.key[start:] not in keep:
                self.storage.delete(info.key)

    def missing_staged(self, staging: Staging) -> list[str]:
        """Listed files neither staged nor landed by an earlier publish of this run."""
        if not self.is_staged_set(staging):
            return list(staging.artefacts)
        start = len(staging.location) + 1
        present = {info.key[start:] for info in self.storage.list(staging.location)}
        landed = self.publisher.landed(staging)
        return [n for n in staging.artefacts if n not in present and n not in landed]

    def publish(self, staging: Staging, record: CommitRecord | None = None) -> None:
        """Land the staged files in the table folder; repeatable after a crash anywhere."""
        found = read_commits(self.storage, self.table)
        if found is not None and staging.run_id in found.recent_runs:
            self.drop_staging(staging)  # landed already: only the clean-up is left
            return
        self.refuse_foreign()
        self.publisher.publish(staging, record or CommitRecord.of(staging))
        self.drop_staging(staging)

    def last_commit(self) -> CommitRecord | None:
        found = read_commits(self.storage, self.table)
        return None if found is None else found.last

    def abort(self, staging: Staging) -> None:
        """Drop the staging; what was landed stays as it was."""
        if staging.location.startswith(f"{self.staging_root}/"):
            self.drop_staging(staging)

    def drop_staging(self, staging: Staging) -> None:
        """Delete the run's staging folder (and, on a local disk, the emptied folders)."""
        self.storage.delete_prefix(staging.location)
        root = self.storage.local_path(self.staging_root)
        if root is not None and remove_empty_dir(root):
            remove_empty_dir(root.parent)

    def is_staged_set(self, staging: Staging) -> bool:
        """True if the staging folder is the one `prepare` made for this run."""
        marker = join_key(staging.location, OPEN)
        if not staging.location.startswith(f"{self.staging_root}/"):
            return False
        if self.storage.stat(marker) is None:
            return False
        with self.storage.open_read(marker) as handle:
            return handle.read() == staging.run_id.encode()

    def live_staging(self, staging: Staging) -> str:
        if not self.is_staged_set(staging):
            raise StateError(
                f"staging folder {self.storage.describe(staging.location)} of run "
                f"{staging.run_id} is missing (aborted or published already); start a new run"
            )
        return staging.location

    # --- ownership and labels -------------------------------------------------------------

    def owner(self) -> StoreOwner:
        return StoreOwner.of(self.place, "open_mirroring")

    def full_drop_refusal(self) -> str | None:
        return None  # adopts no table: a full_drop replaces only what hygge owns

    def ownership_problem(self) -> str | None:
        """None if the table folder is missing, empty or this entity's; else why not."""
        if self.storage.stat(self.table) is not None:
            return f"{self.storage.describe(self.table)} is a file; a table needs a folder"
        local = self.storage.local_path(self.table)
        if local is not None and local.is_symlink():
            return (
                f"table folder {local} is a symbolic link (to {os.path.realpath(local)}); "
                "hygge replaces only real folders it wrote: remove the link, or point `path` "
                "at the folder it links to"
            )
        return place_problem(self.storage, self.table, self.owner(), adopt=False, ours=frozenset())

    def refuse_foreign(self) -> None:
        problem = self.ownership_problem()
        if problem:
            raise StoreOwnershipError(problem)

    def check(self) -> list[str]:
        problem = self.ownership_problem()
        return [problem] if problem else []

    def describe(self) -> str:
        return f"open mirroring {self.table}"

    def identity(self) -> str:
        return f"open_mirroring {self.storage.address(self.table)}"

    def metadata(self) -> dict[str, object]:
        """The table's `_metadata.json` as this config writes it."""
        upsert = self.config.marker_for_incremental() == 4 and bool(self.config.key_columns)
        timestamp = self.config.file_detection == "timestamp"
        return spec.metadata(self.config.key_columns, timestamp=timestamp, upsert=upsert)

    def read_json(self, key: str) -> dict[str, object] | None:
        """A JSON file of the landing zone; None when absent; StateError when unreadable."""
        if self.storage.stat(key) is None:
            return None
        with self.storage.open_read(key) as handle:
            try:
                found = json.loads(handle.read())
            except ValueError as exc:
                raise StateError(
                    f"{self.storage.describe(key)} is not JSON ({exc}); fix or delete it"
                ) from exc
        if not isinstance(found, dict):
            raise StateError(f"{self.storage.describe(key)} is not a JSON object; fix it")
        return found


def open_mirroring_store(config: OpenMirroringStoreConfig, place: Place) -> OpenMirroringStore:
    """The store on its landing zone: a local folder (`path`) or the Azure container."""
    if config.path is not None:
        landing = place.resolve(config.path)
        _refuse_unsafe(place, landing)
        return OpenMirroringStore(config, place, LocalStorage(landing.parent), landing.name)
    from hygge.stores.open_mirroring.account import open_landing_account

    storage = open_landing_account(config, place)
    assert config.mirror_name is not None  # the config requires it without `path`
    return OpenMirroringStore(
        config, place, storage, join_key(config.mirror_name, spec.LANDING_ZONE)
    )


def _refuse_unsafe(place: Place, landing: Path) -> None:
    """ConfigError when a local landing zone is a folder no store may own (the workspace
    root or a parent of it, a home or system folder): its staging goes beside it."""
    real, root = PurePath(os.path.realpath(landing)), PurePath(os.path.realpath(place.root))
    reason = "the workspace root" if real == root else unsafe_reason(real, root, user_homes())
    if reason is not None:
        raise ConfigError(
            f"the open_mirroring store of {place.flow}.{place.entity} has `path: "
            f"{landing}`, which is {reason}; a landing zone needs a folder of its own",
            hint="e.g. path: onelake/LandingZone",
        )


__all__ = ["ROW_MARKERS", "OpenMirroringStore", "open_mirroring_store"]
