"""How a file store makes staged files visible: chosen from what the storage can do.

`RenamePublish` (a storage with atomic renames: a local disk): a full_drop renames the staged
files to their published names, writes the markers into the staging folder and exchanges it
with the entity folder in one step (where the filesystem cannot exchange, the old folder is
renamed aside first: a reader may find the folder missing for a moment, never mixed); an
incremental run moves its files in one by one, never over an existing file, then writes the
completion marker. Readers of a full_drop see the old or the new set.

`CopyPublish` (object storage: no rename): a full_drop copies the staged objects into
`T/set-<run>/`, writes `T/_hygge_live.json` naming that set (the switch), then deletes every
other object under `T` and writes the completion marker. A reader that follows the live
marker (hygge's file home does) sees the old set or the new set; a plain lister may see both
between the switch and the end of the deletion. An incremental run copies its objects into
the live set, then writes the completion marker.

Both are repeatable after a crash at any step: calling them again finishes the same publish.
"""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING

from hygge.errors import StateError
from hygge.faults import fault_point
from hygge.io.patterns import short_run_id
from hygge.storage import LIVE_MARKER, UnsupportedOperationError, join_key
from hygge.stores.artefact_names import published_name
from hygge.stores.base import CommitRecord, Staging
from hygge.stores.commit_marker import commit_log, write_commit
from hygge.stores.file_marker import MARKER, read_owner, write_marker
from hygge.stores.ownership import StoreOwnershipError
from hygge.types import RunType

if TYPE_CHECKING:
    from hygge.stores.file_store import FileStore

OPEN = "_hygge_staging_open"  # in a staging prefix while its run may stage


class RenamePublish:
    """Publish by renaming: one folder exchange (full_drop), one move per file (incremental)."""

    def __init__(self, store: FileStore) -> None:
        self.store, self.storage = store, store.storage

    def published(self) -> list[str] | None:
        """The names in the entity folder (None when it does not exist)."""
        names = [i.key.rpartition("/")[2] for i in self.storage.list(self.store.prefix)]
        return names or None

    def holds(self, name: str) -> bool:
        return self.storage.stat(join_key(self.store.prefix, name)) is not None

    def full_drop(self, staging: Staging, record: CommitRecord) -> None:
        store, target = self.store, self.store.prefix
        location = store.staging_key(staging)
        if not store.is_staged_set(location, staging):
            raise StateError(
                f"staging folder {self.storage.describe(location)} of run {staging.run_id} is "
                f"gone and {store.where()} does not hold it: the staged data is lost. Run the "
                "entity again"
            )
        store.discard_unlisted(staging)
        for name in staging.artefacts:  # to the names readers see, in the folder exchanged
            # Unsynced: the marker's write into the same folder syncs it, before the exchange.
            self._move(join_key(location, name), join_key(location, published_name(name)), False)
        for name in staging.artefacts:
            if self.storage.stat(join_key(location, published_name(name))) is None:
                raise StateError(_lost(store, staging, name))
        # Before the exchange: the published folder is never without its marker.
        # Ownership and completion in one write, exchanged with the data.
        commits = commit_log(self.storage, record, target)
        write_marker(self.storage, location, store.owner(), target, commits=commits)
        self._swap_in(location, target, _aside(location))
        fault_point("during_publish")  # test hook: exchanged, old set not yet deleted

    def _swap_in(self, new: str, target: str, aside: str) -> None:
        """`new` at `target`, the old folder (if any) at `new` or `aside`. Folders are renamed
        with `no_replace=False`: only an empty folder can be replaced that way."""
        try:
            # The staging side unsynced: the publish's clean-up removes what it now holds (the
            # old set) and syncs that folder in this same step (`FileStore.remove_staging`).
            self.storage.exchange(new, target, synced=False)
            return
        except FileNotFoundError:  # no published folder yet (or renamed aside by a fallback)
            pass
        except UnsupportedOperationError:  # this filesystem cannot exchange folders
            # Nothing published yet, or renamed aside before a crash: nothing to set aside.
            with contextlib.suppress(FileNotFoundError):
                self.storage.rename(target, aside, no_replace=False)
        self.storage.rename(new, target, no_replace=False)

    def incremental(self, staging: Staging, record: CommitRecord) -> None:
        store, target = self.store, self.store.prefix
        location = store.staging_key(staging)
        if read_owner(self.storage, target) is None:
            # Before the first file: a crash in between leaves the folder owned, not foreign.
            write_marker(self.storage, target, store.owner(), target)
        pending = []
        for name in staging.artefacts:
            src, dst = join_key(location, name), join_key(target, published_name(name))
            source, published = self.storage.stat(src), self.storage.stat(dst)
            if source is not None and published is not None and source.version != published.version:
                raise StateError(
                    f"{self.storage.describe(dst)} already exists and is not this run's file; "
                    "hygge never overwrites published files. Nothing was published; use a "
                    "file_pattern with {run_id}"
                )
            if source is not None:
                pending.append((src, dst))
            elif published is None:
                raise StateError(_lost(store, staging, name))
        for moved, (src, dst) in enumerate(pending):
            if moved:
                fault_point("during_publish")  # test hook: some files moved, not all
            self._move(src, dst)
        write_commit(self.storage, target, record, target)  # after the last file: all there

    def _move(self, src: str, dst: str, synced: bool = True) -> None:
        """Rename `src` to `dst`, never over another file; repeatable after a crash."""
        if src == dst or self.storage.stat(src) is None:
            return  # an old checkpoint's name, or moved by an earlier publish
        if self.storage.stat(dst) is not None:  # a link-based move died between link and unlink
            self.storage.delete(src, synced=synced)
        else:
            self.storage.rename(src, dst, synced=synced)

    def abort(self, staging: Staging) -> None:
        aside = _aside(self.store.staging_key(staging))
        target = self.store.prefix
        if not self._exists(target) and self._exists(aside):
            self.storage.rename(aside, target, no_replace=False)  # a fallback swap died halfway

    def clean_up(self, staging: Staging) -> None:
        self.storage.delete_prefix(_aside(self.store.staging_key(staging)))
        # Exchanged in with the data; unsynced: back after a power cut, it still counts as ours.
        self.storage.delete(join_key(self.store.prefix, OPEN), synced=False)

    def _exists(self, prefix: str) -> bool:
        local = self.storage.local_path(prefix)
        if local is not None:
            return local.is_dir()
        return next(iter(self.storage.list(prefix)), None) is not None


class CopyPublish:
    """Publish without renames: copy into a new set, switch the live marker, delete."""

    def __init__(self, store: FileStore) -> None:
        self.store, self.storage = store, store.storage

    def published(self) -> list[str] | None:
        live = self._live()
        if live is None:
            return None
        return [i.key.rpartition("/")[2] for i in self.storage.list(self._set_key(live["set"]))]

    def holds(self, name: str) -> bool:
        live = self._live()
        key = join_key(self._set_key(live["set"]), name) if live else None
        return key is not None and self.storage.stat(key) is not None

    def full_drop(self, staging: Staging, record: CommitRecord) -> None:
        live, new_set = self._live(), _set_name(staging.run_id)
        if live is None or live.get("run_id") != staging.run_id:
            self._copy_staged(staging, new_set)
            self._write_owner()
            fault_point("during_publish")  # test hook: copied, not yet switched
            self._write_live(staging.run_id, new_set)
        keep = {join_key(self.store.prefix, name) for name in (MARKER, LIVE_MARKER)}
        for info in self.storage.list(self.store.prefix):
            if info.key not in keep and not info.key.startswith(f"{self._set_key(new_set)}/"):
                self.storage.delete(info.key)
        write_commit(self.storage, self.store.prefix, record, self.store.prefix)

    def incremental(self, staging: Staging, record: CommitRecord) -> None:
        live = self._live()
        if live is None:
            self._write_owner()  # before the first object: a crash leaves the prefix owned
            live = self._write_live(staging.run_id, _set_name(staging.run_id))
        self._copy_staged(staging, live["set"])
        fault_point("during_publish")  # test hook: copied into the live set, not yet committed
        write_commit(self.storage, self.store.prefix, record, self.store.prefix)

    def abort(self, staging: Staging) -> None:
        live = self._live()
        if staging.run_type is RunType.FULL_DROP and (live or {}).get("run_id") != staging.run_id:
            self.storage.delete_prefix(self._set_key(_set_name(staging.run_id)))

    def clean_up(self, staging: Staging) -> None:
        """Nothing beyond the staging: the publish deleted what it replaced."""

    def _copy_staged(self, staging: Staging, set_name: str) -> None:
        location = self.store.staging_key(staging)
        for name in staging.artefacts:
            src = join_key(location, name)
            dst = join_key(self._set_key(set_name), published_name(name))
            source, published = self.storage.stat(src), self.storage.stat(dst)
            if source is None and published is None:
                raise StateError(_lost(self.store, staging, name))
            if source is not None and (published is None or published.size != source.size):
                if published is not None and staging.run_type is RunType.INCREMENTAL:
                    raise StateError(
                        f"{self.storage.describe(dst)} already exists and is not this run's "
                        "file; hygge never overwrites published files"
                    )
                self.storage.copy(src, dst)

    def _write_owner(self) -> None:
        if read_owner(self.storage, self.store.prefix) is None:
            write_marker(self.storage, self.store.prefix, self.store.owner(), self.store.prefix)

    def _write_live(self, run_id: str, set_name: str) -> dict[str, str]:
        live = {"run_id": run_id, "set": set_name}
        self.storage.put(join_key(self.store.prefix, LIVE_MARKER), json.dumps(live).encode())
        return live

    def _live(self) -> dict[str, str] | None:
        key = join_key(self.store.prefix, LIVE_MARKER)
        if self.storage.stat(key) is None:
            return None
        with self.storage.open_read(key) as handle:
            try:
                live: dict[str, str] = json.loads(handle.read())
            except ValueError as exc:
                raise StoreOwnershipError(
                    f"{self.storage.describe(key)} is not hygge's live-set marker; fix or delete it"
                ) from exc
        return live

    def _set_key(self, set_name: str) -> str:
        return join_key(self.store.prefix, set_name)


def _set_name(run_id: str) -> str:
    return f"set-{short_run_id(run_id, length=16)}"


def _aside(location: str) -> str:
    return f"{location}.old"


def _lost(store: FileStore, staging: Staging, name: str) -> str:
    where = store.storage.describe(store.staging_key(staging))
    return (
        f"staged file {name} of run {staging.run_id} is in neither {where} nor {store.where()}: "
        f"its rows are lost. Run the entity again (a full_drop run restores everything)"
    )
