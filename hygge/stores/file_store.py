"""The file store: one entity's prefix of parquet, csv or ndjson files, on any ObjectStorage.

For an entity prefix `T = lake/orders` a run stages its files under
`lake/_hygge_staging/orders/<run_id>/`: a sibling of the entity prefixes (on a local disk the
same filesystem, so renames stay atomic) that readers of `T` never see. A staging prefix
holds `_hygge_staging_open` while its run may stage; publishing and aborting remove it, so a
lingering writer cannot stage into a published or aborted run.

How a publish makes the files visible depends on what the storage can do
(`StorageCapabilities`), and is one strategy of `hygge.stores.file_publish`: a folder exchange
where the storage renames atomically (a local disk), copy → live-marker switch → delete
elsewhere. Publishing is idempotent: after a crash anywhere in it, calling it again with the
same `Staging` ends with every staged row published once; the completion marker
(`hygge.stores.commit_marker`, in `_hygge_store.json`) makes a publish of a run already
published a no-op.

`T` carries `_hygge_store.json`, the marker naming its owner (`hygge.stores.ownership`). A run
refuses a non-empty prefix without this entity's marker before it stages anything.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path, PurePath

import polars as pl

from hygge.errors import ConfigError, StateError
from hygge.io.atomic import fsync_dir, remove_empty_dir
from hygge.io.formats import check_options, write_option_names
from hygge.io.patterns import TIMESTAMP_FORMAT, short_run_id
from hygge.io.unsafe_folders import unsafe_reason, user_homes
from hygge.io.writers import write_frame
from hygge.storage import LIVE_MARKER, LocalStorage, ObjectStorage, join_key
from hygge.stores.artefact_names import listed_names, published_name, staged_name
from hygge.stores.base import CommitRecord, Staging
from hygge.stores.commit_marker import read_commits
from hygge.stores.file_foreign import refuse_foreign_files
from hygge.stores.file_marker import place_problem
from hygge.stores.file_naming import FILE_RUN_TYPES, FileNaming
from hygge.stores.file_publish import OPEN, CopyPublish, RenamePublish
from hygge.stores.file_sink import sink_staged, sinks
from hygge.stores.file_staging import STAGING_DIR, FileStaging
from hygge.stores.files import LocalStoreConfig
from hygge.stores.ownership import StoreOwner, StoreOwnershipError
from hygge.types import Place, RunType

__all__ = ["STAGING_DIR", "FileStore", "open_file_store"]


class FileStore(FileStaging):
    """Stages batches as files under the staging prefix and publishes them into `prefix`."""

    def __init__(
        self,
        config: LocalStoreConfig,
        place: Place,
        storage: ObjectStorage,
        prefix: str,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.config, self.place, self.storage = config, place, storage
        self.prefix = prefix.strip("/")
        parent, _, name = self.prefix.rpartition("/")
        self.staging_prefix = join_key(parent, STAGING_DIR, name)
        self.target = storage.local_path(self.prefix)  # None on object storage
        self.staging_root = storage.local_path(self.staging_prefix)
        self._clock = clock or (lambda: datetime.now(UTC))
        where = f"store of {place.flow}.{place.entity}"
        options = config.format_options
        check_options(options, write_option_names(config.format), fmt=config.format, where=where)
        if config.compression and options.get("compression", config.compression) != (
            config.compression
        ):
            raise ConfigError(f"{where}: compression is set twice, to different codecs")
        self.naming = FileNaming(config, place)
        renames = storage.capabilities.atomic_rename
        self.publishing = RenamePublish(self) if renames else CopyPublish(self)

    def prepare(self, run_id: str, run_type: RunType) -> Staging:
        """Create an empty staging prefix for the run; names continue after published ones."""
        if run_type not in FILE_RUN_TYPES:
            raise ConfigError(
                f"store of {self.place.flow}.{self.place.entity}: {self.describe()} cannot "
                f"{run_type.value}; file stores support full_drop and incremental"
            )
        if self.storage.stat(self.prefix) is not None:
            raise StateError(f"store path {self.where()} is a file; a file store needs a folder")
        self.refuse_linked_folder()
        self.refuse_foreign()
        location = join_key(self.staging_prefix, short_run_id(run_id, length=64))
        try:
            self.refuse_linked_staging()
            self.storage.delete_prefix(location)  # a leftover of this same run
            # The folders made are synced; the marker's own entry is not: the first chunk's
            # `sync` of this same folder makes it durable, before any checkpoint that must
            # outlive a power cut lists the staging (the begin checkpoint is unsynced).
            self.storage.put(join_key(location, OPEN), run_id.encode(), synced=False)
        except PermissionError as exc:
            raise StateError(
                f"cannot create the staging folder {self.storage.describe(self.staging_prefix)} "
                f"({exc.strerror}); hygge stages runs there before publishing: give the user "
                "running hygge write access to it (chmod / chown), or remove it if nothing "
                "else uses it"
            ) from exc
        started = self._clock().astimezone(UTC).strftime(TIMESTAMP_FORMAT)
        return Staging(
            run_id=run_id,
            run_type=run_type,
            location=self.storage.describe(location) if self.target else location,
            next_sequence=self.naming.first_sequence(run_type, self.publishing.published),
            extra={"started": started},
        )

    def unpublished_name(self, staging: Staging, sequence: int) -> str:
        """The published name of the staged file `sequence`; StateError when an incremental
        run would publish over a file already there (hygge never overwrites one)."""
        name = self.naming.name(staging, sequence)
        if staging.run_type is RunType.INCREMENTAL and self.publishing.holds(name):
            raise StateError(
                f"{self.where(name)} already exists; hygge never overwrites published files. "
                "Use a file_pattern with {run_id} or {timestamp}",
            )
        return name

    def write(self, staging: Staging, batch: pl.DataFrame) -> Staging:
        """Write the batch as one file in the staging; returns the staging with it listed."""
        location = self.live_staging(staging)
        name = self.unpublished_name(staging, staging.next_sequence)
        staged = staged_name(name, staging.attempt_id)
        key = join_key(location, staged)
        options, fmt, compression = self.config.format_options, self.config.format, None
        compression = self.config.compression
        local = self.storage.local_path(key)
        if local is not None:  # polars writes the file in place; sync() syncs the folder
            write_frame(batch, local, fmt, options, compression=compression, sync_dir=False)
        else:
            with tempfile.TemporaryDirectory(prefix="hygge-stage-") as folder:
                path = Path(folder) / name
                write_frame(batch, path, fmt, options, compression=compression)
                with path.open("rb") as data:
                    self.storage.put(key, data)
        return staging.model_copy(
            update={
                "artefacts": [*staging.artefacts, staged],
                "next_sequence": staging.next_sequence + staging.sequence_step,
            }
        )

    def sinks(self) -> bool:
        """Whether chunks can be sunk as lazy frames: parquet with sink_parquet's options."""
        return sinks(self.config)

    def sink(
        self,
        staging: Staging,
        frame: pl.LazyFrame,
        on_file: Callable[[int], None],
        *,
        chunk_rows: int | None = None,
    ) -> Staging:
        """Sink a chunk's lazy frame as staged files (`hygge.stores.file_sink`): one file for
        a bounded chunk when no `batch_size` was set, else files of `batch_size` rows."""
        return sink_staged(self, staging, frame, on_file, chunk_rows=chunk_rows)

    def sync(self, staging: Staging) -> None:
        """Make the staged files' entries durable before a checkpoint lists them."""
        folder = self.storage.local_path(self.live_staging(staging))
        if folder is not None:
            fsync_dir(folder)  # a finished put is durable; a file written in place needs this

    def discard_unlisted(self, staging: Staging) -> None:
        """Delete staged files the checkpoint does not list (partial or uncheckpointed writes)."""
        location = self.staging_key(staging)
        if not self.is_staged_set(location, staging):
            return  # nothing staged any more: published (full_drop) or aborted
        listed, start = {*listed_names(staging.artefacts), OPEN}, len(location) + 1
        for info in self.storage.list(location):
            name = info.key[start:]
            if name not in listed and self._of_partition(name, staging):
                self.storage.delete(info.key)

    def missing_staged(self, staging: Staging) -> list[str]:
        """Listed staged files no longer in the staging folder (all, when the folder is gone)."""
        location = self.staging_key(staging)
        if not self.is_staged_set(location, staging):
            return list(staging.artefacts)
        start = len(location) + 1
        present = {info.key[start:] for info in self.storage.list(location)}
        return [
            name
            for name in staging.artefacts
            if name not in present and published_name(name) not in present
        ]

    def _of_partition(self, name: str, staging: Staging) -> bool:
        """Whether a staged file (or its temp file) is the staging's partition's to discard:
        every file without a partition; else a name of the partition's sequences."""
        if staging.partition is None:
            return True
        name = published_name(_TEMP_NAME.sub(r"\1", name))
        sequence = self.naming.sequence_of(staging.run_type, name)
        step = staging.sequence_step
        return sequence is not None and sequence % step == staging.next_sequence % step

    def publish(self, staging: Staging, record: CommitRecord | None = None) -> None:
        """Make the staged files visible in the entity prefix; idempotent after any crash."""
        found = read_commits(self.storage, self.prefix)
        if found is not None and staging.run_id in found.recent_runs:
            self.remove_staging(staging)  # published by an earlier call: only clean-up is left
            return
        self.refuse_foreign()  # the prefix may have changed since prepare (hours, a crash)
        record = record or CommitRecord.of(staging)
        if staging.run_type is RunType.FULL_DROP:
            self.refuse_foreign_files()
            self.publishing.full_drop(staging, record)
        else:
            self.publishing.incremental(staging, record)
        self.remove_staging(staging)

    def last_commit(self) -> CommitRecord | None:
        """The completion marker's last record; None before the first publish."""
        found = read_commits(self.storage, self.prefix)
        return None if found is None else found.last

    def abort(self, staging: Staging) -> None:
        """Drop the staging; the published files stay exactly as they were."""
        elsewhere = self._staged_elsewhere(staging)
        if elsewhere is not None:
            elsewhere.abort(staging)  # a run discarded after its store changed
            return
        self.publishing.abort(staging)
        self.remove_staging(staging)

    def _staged_elsewhere(self, staging: Staging) -> FileStore | None:
        """The local store whose staging `staging` is, when not this one's (the store's path
        changed since the run staged): `<folder>/_hygge_staging/<entity>/<run>`."""
        root, path = self.storage.local_path(""), Path(staging.location)
        if root is None or not path.is_absolute() or path.parent.parent.name != STAGING_DIR:
            return None
        if path.parent == root / self.staging_prefix:
            return None
        storage = LocalStorage(path.parent.parent.parent)
        return FileStore(self.config, self.place, storage, path.parent.name, clock=self._clock)

    def full_drop_refusal(self) -> str | None:
        return None  # adopts no table: a full_drop replaces only what hygge owns

    def held_rows(self) -> str | None:
        """What the entity folder holds that a run appends to (`stores.held_rows`)."""
        if self.storage.stat(self.prefix) is not None:
            return None  # a file: `check` and `prepare` report it
        extension = self.config.extension  # readers pick files by it: another holds no row
        listed = self.storage.list(self.prefix, skip_hidden=True)
        files = sum(1 for found in listed if found.key.endswith(extension))
        return f"{files} published {extension} file(s) in {self.where()}" if files else None

    def refuse_linked_folder(self) -> None:
        """The entity folder as a symbolic link, refused before anything is staged: a run
        stages beside the folder and renames into it, so a full_drop would swap the link out
        (the new set landing beside it, the old left where it points) and an incremental
        publish would move files out of the storage root and stop half done."""
        if self.target is None or not self.target.is_symlink():
            return
        points = self.target.resolve()
        raise StateError(
            f"store folder {self.target} is a symbolic link to {points}; hygge stages a run "
            f"in {self.target.parent} and publishes by renaming into the entity folder (a "
            "full_drop swaps the folder itself: the link would be replaced and the old files "
            f"left in {points}). Nothing was staged. Point the store's `path` at "
            f"{points.parent} instead, or put the folder itself in place of the link"
        )

    def ownership_problem(self) -> str | None:
        """None if the entity prefix is missing, empty or this entity's; else why not."""
        if self.storage.stat(self.prefix) is not None:
            return None  # a file: `check` and `prepare` report it
        return place_problem(
            self.storage,
            self.prefix,
            self.owner(),
            adopt=self.config.adopt_existing,
            ours=frozenset({LIVE_MARKER, OPEN}),
        )

    def check(self) -> list[str]:
        """Problems a user must fix before a run: a file, a foreign folder, not writable."""
        if self.storage.stat(self.prefix) is not None:
            return [f"store path {self.where()} is a file; a file store needs a folder"]
        try:
            self.refuse_linked_folder()
        except StateError as linked:
            return [str(linked)]
        problem = self.ownership_problem()
        if problem:
            return [problem]
        if self.target is None:
            return []  # object storage: writability shows at the first put
        existing = self.target if self.target.exists() else self.target.parent
        while not existing.exists():
            existing = existing.parent
        if not os.access(existing, os.W_OK | os.X_OK):
            return [f"{existing} is not writable by this user; hygge cannot create {self.target}"]
        return []

    def describe(self) -> str:
        """E.g. `parquet lake/orders`."""
        return f"{self.config.format} {self.config.path}"

    def identity(self) -> str:
        """E.g. `local parquet ./lake/orders`: the format and the real path, symlinks resolved
        (`type: parquet` and `type: local` write the same files, so both say `local`)."""
        if self.target is None:
            return f"storage {self.config.format} {self.storage.address(self.prefix)}"
        return f"local {self.config.format} {self.place.real_label(self.target)}"

    def where(self, name: str = "") -> str:
        """The entity prefix (or a file in it) for messages."""
        return self.storage.describe(join_key(self.prefix, name))

    def owner(self) -> StoreOwner:
        config = self.config
        label = config.format if str(config.type) == "parquet" else f"{config.type} {config.format}"
        return StoreOwner.of(self.place, label, self._clock().astimezone(UTC))

    def refuse_foreign_files(self) -> None:
        """A user's file put in the (owned) folder: a full_drop would delete it. Asked at
        publish, which lists the folder anyway (prepare never lists the published files). An
        adopted folder's full_drop replaces what is there, as `adopt_existing` says."""
        if not self.config.adopt_existing:
            refuse_foreign_files(self.storage, self.prefix, self.config.extension)

    def refuse_foreign(self) -> None:
        problem = self.ownership_problem()
        if problem:
            raise StoreOwnershipError(problem)

    def remove_staging(self, staging: Staging) -> None:
        location = self.staging_key(staging)
        self.storage.delete_prefix(location)
        self.publishing.clean_up(staging)
        root = self.staging_root  # on a local disk folders outlive their files
        if root is not None and remove_empty_dir(root):
            remove_empty_dir(root.parent)


_TEMP_NAME = re.compile(r"^\.(.+)\.[0-9a-f]{8}\.tmp$")  # `write_frame`'s temp file of a name


def open_file_store(
    config: LocalStoreConfig,
    place: Place,
    storage: ObjectStorage | None = None,
    *,
    clock: Callable[[], datetime] | None = None,
) -> FileStore:
    """The file store for `config.path` on `storage` (default: the workspace's folder).

    On a local disk the store's storage is the entity folder's parent, so absolute paths
    and paths outside the workspace work and nothing outside that parent is ever deleted.
    """
    root = place.root if storage is None else storage.local_path("")
    if root is None:
        assert storage is not None
        return FileStore(config, place, storage, config.path, clock=clock)
    target = replace(place, root=root).resolve(config.path)
    if config.connection is not None:  # a plain path was checked when the workspace loaded
        _refuse_unsafe_root(place, config.connection, target)
    return FileStore(config, place, LocalStorage(target.parent), target.name, clock=clock)


def _refuse_unsafe_root(place: Place, connection: str, target: Path) -> None:
    """ConfigError if the entity folder on a connection's root, or the folder it sits in, is
    one no store may own (the filesystem root, a home folder, a system folder)."""
    homes, workspace = user_homes(), PurePath(os.path.realpath(place.root))
    for folder in (target, target.parent):
        real = PurePath(os.path.realpath(folder))
        reason = unsafe_reason(real, workspace, homes)
        if reason is not None:
            raise ConfigError(
                f"{place.flow}.{place.entity} stores through connection '{connection}' into "
                f"{real}, which is {reason}; a store replaces what is in its folder, so hygge "
                "never stores there",
                hint="point the connection's root (or the store's path) at a folder of its own",
            )
