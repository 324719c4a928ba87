"""The file store: one entity's folder of parquet, csv or ndjson files, published atomically.

For an entity folder `T = <root>/lake/orders` a run stages its files in
`<root>/lake/_hygge_staging/orders/<run_id>/`: a sibling of the entity folders on the same
filesystem (renames stay atomic) that readers of `T` never see. Publishing a full_drop run
exchanges the staging folder with `T` in one step; an incremental run moves its files into `T`
one by one, never over an existing file (so readers may see part of an incremental run:
`atomic_visibility` declares full_drop only). Publishing is idempotent: after a crash anywhere
in it, calling it again with the same `Staging` ends with every staged row published once; the
completion marker (`hygge.stores.commit_marker`, in `_hygge_store.json`) makes a publish of a
run already published a no-op.

The entity folder carries `_hygge_store.json`, the marker naming its owner (see
`hygge.stores.ownership`). A run refuses a non-empty folder without this entity's marker
before it stages anything. A full_drop run writes the marker into its staging folder before
the exchange, an incremental run into `T` before its first file: a published folder is never
without it, whatever the crash.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from hygge.errors import ConfigError, StateError
from hygge.faults import fault_point
from hygge.io.atomic import (
    fsync_dir,
    make_dirs,
    move_no_replace,
    remove_empty_dir,
    remove_tree,
    swap_in,
)
from hygge.io.formats import check_options, write_option_names
from hygge.io.patterns import TIMESTAMP_FORMAT, FilePattern, short_run_id
from hygge.io.writers import write_frame
from hygge.stores.artefact_names import listed_names, published_name, staged_name
from hygge.stores.base import CommitRecord, Staging
from hygge.stores.commit_marker import read_commits, write_commit
from hygge.stores.file_marker import folder_problem, read_owner, write_marker
from hygge.stores.files import LocalStoreConfig
from hygge.stores.ownership import StoreOwner, StoreOwnershipError
from hygge.types import Place, RunType

STAGING_DIR = "_hygge_staging"


class FileStore:
    """Stages batches as files and publishes them into the entity folder."""

    def __init__(
        self,
        config: LocalStoreConfig,
        place: Place,
        *,
        base: Path | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.config = config
        self.place = place
        # `base`: the folder `path` is relative to (a local connection's root; the workspace's).
        self.target = replace(place, root=base or place.root).resolve(config.path)
        self.staging_root = self.target.parent / STAGING_DIR / self.target.name
        self._clock = clock or (lambda: datetime.now(UTC))
        where = f"store of {place.flow}.{place.entity}"
        options = config.format_options
        check_options(options, write_option_names(config.format), fmt=config.format, where=where)
        if config.compression and options.get("compression", config.compression) != (
            config.compression
        ):
            raise ConfigError(f"{where}: compression is set twice, to different codecs")
        self._patterns = {run_type: self._pattern(run_type) for run_type in _FILE_RUN_TYPES}

    def prepare(self, run_id: str, run_type: RunType) -> Staging:
        """Create an empty staging folder for the run; names continue after published ones."""
        if run_type not in _FILE_RUN_TYPES:
            raise ConfigError(
                f"store of {self.place.flow}.{self.place.entity}: {self.describe()} cannot "
                f"{run_type.value}; file stores support full_drop and incremental"
            )
        if self.target.exists() and not self.target.is_dir():
            raise StateError(f"store path {self.target} is a file; a file store needs a folder")
        self._refuse_foreign()
        folder = self.staging_root / short_run_id(run_id, length=64)
        try:
            self.refuse_linked_staging()
            remove_tree(folder)  # a leftover of this same run that never checkpointed
            make_dirs(folder)  # each new folder's entry synced in its parent
        except PermissionError as exc:
            raise StateError(
                f"cannot create the staging folder {self.staging_root} ({exc.strerror}); hygge "
                f"stages runs there before publishing: give the user running hygge write "
                f"access to it (chmod / chown), or remove it if nothing else uses it"
            ) from exc
        stat = folder.stat()
        started = self._clock().astimezone(UTC)
        return Staging(
            run_id=run_id,
            run_type=run_type,
            location=str(folder),
            next_sequence=self._first_sequence(run_type),
            extra={
                "device": stat.st_dev,
                "inode": stat.st_ino,
                "started": started.strftime(TIMESTAMP_FORMAT),
            },
        )

    def write(self, staging: Staging, batch: pl.DataFrame) -> Staging:
        """Write the batch as one file in the staging folder; returns the staging with it listed."""
        folder = self._existing_staging(staging)
        name = self._file_name(staging, staging.next_sequence)
        if staging.run_type is RunType.INCREMENTAL and (self.target / name).exists():
            raise StateError(
                f"{self.target / name} already exists; hygge never overwrites published files. "
                f"Use a file_pattern with {{run_id}} or {{timestamp}}",
            )
        options = self.config.format_options
        fmt, compression = self.config.format, self.config.compression
        staged = staged_name(name, staging.attempt_id)
        # The folder's entry is synced once per chunk, in sync(), not once per file.
        write_frame(batch, folder / staged, fmt, options, compression=compression, sync_dir=False)
        return staging.model_copy(
            update={
                "artefacts": [*staging.artefacts, staged],
                "next_sequence": staging.next_sequence + 1,
            }
        )

    def sync(self, staging: Staging) -> None:
        """Make the staged files' folder entries durable before a checkpoint lists them."""
        fsync_dir(self._existing_staging(staging))

    def discard_unlisted(self, staging: Staging) -> None:
        """Delete staged files the checkpoint does not list (partial or uncheckpointed writes)."""
        folder = self._own_staging(staging)
        if not self._is_staged_set(folder, staging):
            return  # nothing staged any more: published (full_drop) or aborted
        listed = listed_names(staging.artefacts)
        for child in folder.iterdir():
            if child.name not in listed:
                remove_tree(child)

    def publish(self, staging: Staging, record: CommitRecord | None = None) -> None:
        """Make the staged files visible in the entity folder; idempotent after any crash."""
        found = read_commits(self.target) if self.target.is_dir() else None
        if found is not None and staging.run_id in found.recent_runs:
            self._remove_staging(staging)  # published by an earlier call: only clean-up is left
            return
        self._refuse_foreign()  # the folder may have changed since prepare (hours, a crash)
        record = record or CommitRecord.of(staging)
        if staging.run_type is RunType.FULL_DROP:
            self._publish_full_drop(staging, record)
        else:
            self._publish_incremental(staging, record)
        self._remove_staging(staging)

    def last_commit(self) -> CommitRecord | None:
        """The completion marker's last record; None before the first publish."""
        found = read_commits(self.target) if self.target.is_dir() else None
        return None if found is None else found.last

    def abort(self, staging: Staging) -> None:
        """Drop the staging folder; the published files stay exactly as they were."""
        aside = self._aside(staging)
        if not self.target.exists() and aside.is_dir():
            aside.rename(self.target)  # the fallback swap died halfway: restore the old set
            fsync_dir(self.target.parent)
        self._remove_staging(staging)

    def ownership_problem(self) -> str | None:
        """None if the entity folder is missing, empty or this entity's; else why not."""
        return folder_problem(self.target, self._owner(), adopt=self.config.adopt_existing)

    def check(self) -> list[str]:
        """Problems a user must fix before a run: a file, a foreign folder, not writable."""
        if self.target.exists() and not self.target.is_dir():
            return [f"store path {self.target} is a file; a file store needs a folder"]
        problem = self.ownership_problem()
        if problem:
            return [problem]
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
        return f"local {self.config.format} {self.place.real_label(self.target)}"

    def _publish_full_drop(self, staging: Staging, record: CommitRecord) -> None:
        folder = Path(staging.location)
        if not self._is_staged_set(folder, staging):
            raise StateError(
                f"staging folder {folder} of run {staging.run_id} is gone and {self.target} "
                f"does not hold it: the staged data is lost. Run the entity again"
            )
        self.discard_unlisted(staging)
        for name in staging.artefacts:  # to the names readers see, in the folder exchanged
            _unstage(folder / name, folder / published_name(name))
        self._require_artefacts(folder, staging)
        # Before the exchange: the published folder is never without its marker.
        write_marker(folder, self._owner(), self.target)
        write_commit(folder, record, self.target)  # exchanged with the data, in one step
        fsync_dir(folder)
        swap_in(folder, self.target, self._aside(staging))
        fault_point("during_publish")  # test hook: exchanged, old set not yet deleted

    def _publish_incremental(self, staging: Staging, record: CommitRecord) -> None:
        folder = Path(staging.location)
        make_dirs(self.target)
        if read_owner(self.target) is None:
            # Before the first file: a crash in between leaves the folder owned, not foreign.
            write_marker(self.target, self._owner(), self.target)
            fsync_dir(self.target)
        pending = []
        for name in staging.artefacts:
            src, dst = folder / name, self.target / published_name(name)
            if src.exists() and dst.exists() and not src.samefile(dst):
                raise StateError(
                    f"{dst} already exists and is not this run's file; hygge never overwrites "
                    f"published files. Nothing was published; use a file_pattern with {{run_id}}"
                )
            if src.exists():
                pending.append((src, dst))
            elif not dst.exists():
                raise StateError(_lost(staging, name, folder, self.target))
        for moved, (src, dst) in enumerate(pending):
            if moved:
                fault_point("during_publish")  # test hook: some files moved, not all
            if dst.exists():  # a link-based move died between link and unlink
                src.unlink()
            else:
                move_no_replace(src, dst)
        fsync_dir(self.target)
        write_commit(self.target, record, self.target)  # after the last file: all are there

    def _owner(self) -> StoreOwner:
        config = self.config
        label = config.format if str(config.type) == "parquet" else f"{config.type} {config.format}"
        return StoreOwner.of(self.place, label, self._clock().astimezone(UTC))

    def _refuse_foreign(self) -> None:
        problem = self.ownership_problem()
        if problem:
            raise StoreOwnershipError(problem)

    def refuse_linked_staging(self) -> None:
        """Staging is deleted after every run (and by reset): it must be a real folder here."""
        for folder in (self.staging_root.parent, self.staging_root):
            if folder.is_symlink():
                raise StateError(
                    f"{folder} is a symbolic link (to {folder.readlink()}); hygge stages runs "
                    f"in it and deletes what it stages there, so it must be a real folder. "
                    f"Remove the link; hygge creates the folder itself"
                )

    def _remove_staging(self, staging: Staging) -> None:
        location = self._own_staging(staging)
        remove_tree(location)
        remove_tree(self._aside(staging))
        # The run's own staging root: another store's, when a run is discarded after a change.
        staging_root = Path(staging.location).parent
        if remove_empty_dir(staging_root):
            remove_empty_dir(staging_root.parent)
        # Entities of one store share `_hygge_staging`: another run may remove it meanwhile.
        with contextlib.suppress(FileNotFoundError):
            fsync_dir(staging_root.parent)

    def _require_artefacts(self, folder: Path, staging: Staging) -> None:
        for name in staging.artefacts:
            if not (folder / published_name(name)).is_file():
                raise StateError(_lost(staging, name, folder, self.target))

    def _aside(self, staging: Staging) -> Path:
        return Path(str(self._own_staging(staging)) + ".old")

    @staticmethod
    def _own_staging(staging: Staging) -> Path:
        """The staging location, if it is one `prepare` makes: `…/_hygge_staging/<name>/<run>`.

        A checkpoint is a file anyone can edit; hygge deletes only its own staging folders.
        """
        location = Path(staging.location)
        entity = location.parent
        if entity.parent.name != STAGING_DIR or entity.is_symlink() or entity.parent.is_symlink():
            raise StateError(
                f"staging location {location} of run {staging.run_id} is not a staging folder "
                f"hygge made (<store>/{STAGING_DIR}/<entity>/<run>, no symbolic links); hygge "
                f"deletes nothing there. Delete the entity's checkpoint file in the state folder "
                f"(.hygge/checkpoints/<flow>/<entity>.json) if you edited it"
            )
        return location

    @staticmethod
    def _is_staged_set(path: Path, staging: Staging) -> bool:
        """True if `path` is the folder `prepare` made (renames keep a folder's inode)."""
        try:
            stat = path.stat()
        except FileNotFoundError:
            return False
        extra = staging.extra
        return (stat.st_dev, stat.st_ino) == (extra.get("device"), extra.get("inode"))

    def _existing_staging(self, staging: Staging) -> Path:
        folder = Path(staging.location)
        if not self._is_staged_set(folder, staging):
            raise StateError(
                f"staging folder {folder} of run {staging.run_id} is missing (aborted or "
                f"published already); start a new run"
            )
        return folder

    def _pattern(self, run_type: RunType) -> FilePattern:
        extension = self.config.extension
        if self.config.file_pattern is not None:
            text = self.config.file_pattern
            if not text.endswith(extension):
                text += extension  # readers pick files by extension: never publish unseen files
        elif run_type is RunType.INCREMENTAL:
            text = "{timestamp}_{run_id}_{sequence:05d}" + extension
        else:
            text = "{sequence:020d}" + extension
        pattern = FilePattern.parse(text)
        entity, flow = self.place.entity, self.place.flow
        sample = pattern.render(sequence=0, entity=entity, flow=flow, run_id=_RUN, started=_EPOCH)
        if sample.startswith((".", "_")):
            raise ConfigError(
                f"file_pattern {text!r} makes names starting with '.' or '_' ({sample}), "
                f"which readers skip as hidden; start the pattern differently"
            )
        if len(sample.encode()) > MAX_FILE_NAME_BYTES:
            raise ConfigError(
                f"store of {flow}.{entity}: file_pattern {text!r} makes names of "
                f"{len(sample.encode())} bytes; file names are limited to 255 bytes, and hygge "
                f"needs room for its temp names and growing sequences: at most "
                f"{MAX_FILE_NAME_BYTES}",
                hint="shorten the pattern (drop {flow} or {entity}: the folder names them)",
            )
        return pattern

    def _file_name(self, staging: Staging, sequence: int) -> str:
        started = datetime.strptime(str(staging.extra["started"]), TIMESTAMP_FORMAT)
        return self._patterns[staging.run_type].render(
            sequence=sequence,
            entity=self.place.entity,
            flow=self.place.flow,
            run_id=staging.run_id,
            started=started,
        )

    def _first_sequence(self, run_type: RunType) -> int:
        pattern = self._patterns[run_type]
        if run_type is RunType.FULL_DROP or pattern.unique_per_run or not self.target.is_dir():
            return 0
        entity, flow = self.place.entity, self.place.flow
        found = [
            pattern.sequence_of(p.name, entity=entity, flow=flow) for p in self.target.iterdir()
        ]
        return max((s for s in found if s is not None), default=-1) + 1


_FILE_RUN_TYPES = (RunType.FULL_DROP, RunType.INCREMENTAL)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_RUN = "0" * 32  # a run id as long as a real one
# A file is written under `.<name>.<8 hex>.tmp` (14 bytes more), and `{sequence}` may grow.
MAX_FILE_NAME_BYTES = 230


def _unstage(staged: Path, published: Path) -> None:
    """Rename a staged file to its published name; repeatable after a crash at any point."""
    if staged == published or not staged.exists():
        return  # an old checkpoint's name, or renamed by an earlier publish
    if published.exists():  # a link-based move died between link and unlink
        staged.unlink()
    else:
        move_no_replace(staged, published)


def _lost(staging: Staging, name: str, folder: Path, target: Path) -> str:
    return (
        f"staged file {name} of run {staging.run_id} is in neither {folder} nor {target}: "
        f"its rows are lost. Run the entity again (a full_drop run restores everything)"
    )
