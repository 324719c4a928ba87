"""The file store on object storage (no rename): copy into a new set, switch a marker, delete.

For an entity prefix `T` a run stages objects under `<parent>/_hygge_staging/<entity>/<run>/`.
A full_drop publish copies them into `T/set-<run>/`, writes `T/_hygge_live.json` naming that
set (the switch), then deletes every other object under `T` (which the ownership marker says
this entity owns) and the staging. Publishing again after a crash at any step finishes the
same publish: copies are repeatable, the marker names the run, deletions are idempotent.

Visibility, declared truthfully: a reader that follows `_hygge_live.json` sees the old set or
the new set, never a mix. A reader that lists `T` may see both sets between the switch and the
end of the deletion, and an incremental publish appears object by object.
"""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from hygge.errors import ConfigError, StateError
from hygge.faults import fault_point
from hygge.io.patterns import TIMESTAMP_FORMAT, short_run_id
from hygge.io.writers import write_frame
from hygge.storage import LIVE_MARKER, ObjectStorage, join_key
from hygge.stores.artefact_names import published_name, staged_name
from hygge.stores.base import CommitRecord, Staging
from hygge.stores.commit_marker import KEPT_RUNS, CommitLog
from hygge.stores.file_marker import MARKER
from hygge.stores.file_store import _FILE_RUN_TYPES, STAGING_DIR, FileStore
from hygge.stores.files import LocalStoreConfig
from hygge.stores.ownership import StoreOwner, StoreOwnershipError, judge_place
from hygge.types import Place, RunType

LIVE = LIVE_MARKER  # names the published set; readers that follow it never see a mix
COMMITS = "_hygge_commits.json"  # the completion marker: the last runs published
OPEN = "_hygge_staging_open"  # in a staging prefix while its run may stage


class ObjectFileStore(FileStore):
    """A file store publishing into the prefix `config.path` of an ObjectStorage."""

    def __init__(
        self,
        config: LocalStoreConfig,
        place: Place,
        storage: ObjectStorage,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(config, place, clock=clock)
        self.storage = storage
        self.prefix = config.path.strip("/")
        parent, _, name = self.prefix.rpartition("/")
        self.staging_prefix = join_key(parent, STAGING_DIR, name)

    def prepare(self, run_id: str, run_type: RunType) -> Staging:
        if run_type not in _FILE_RUN_TYPES:
            raise ConfigError(
                f"store of {self.place.flow}.{self.place.entity}: {self.describe()} cannot "
                f"{run_type.value}; file stores support full_drop and incremental"
            )
        self._refuse_foreign()
        location = join_key(self.staging_prefix, short_run_id(run_id, length=64))
        self.storage.delete_prefix(location)  # a leftover of this same run
        # Object stores have no folders: this object says the staging is live. Publish and
        # abort delete it with the staging, so a lingering writer cannot stage into it again.
        self.storage.put(join_key(location, OPEN), io.BytesIO(run_id.encode()))
        started = self._clock().astimezone(UTC).strftime(TIMESTAMP_FORMAT)
        return Staging(
            run_id=run_id,
            run_type=run_type,
            location=location,
            next_sequence=self._first_sequence(run_type),
            extra={"started": started},
        )

    def write(self, staging: Staging, batch: pl.DataFrame) -> Staging:
        if self.storage.stat(join_key(self._own(staging), OPEN)) is None:
            raise StateError(
                f"staging {self.storage.describe(staging.location)} of run {staging.run_id} is "
                "gone (aborted or published already); start a new run"
            )
        name = self._file_name(staging, staging.next_sequence)
        if staging.run_type is RunType.INCREMENTAL and self._published(name) is not None:
            raise StateError(
                f"{self.storage.describe(self._published(name) or '')} already exists; hygge "
                "never overwrites published files. Use a file_pattern with {run_id} or "
                "{timestamp}"
            )
        staged = staged_name(name, staging.attempt_id)
        with tempfile.TemporaryDirectory(prefix="hygge-stage-") as folder:
            local = Path(folder) / name
            options, compression = self.config.format_options, self.config.compression
            write_frame(batch, local, self.config.format, options, compression=compression)
            with local.open("rb") as data:
                self.storage.put(join_key(self._own(staging), staged), data)
        return staging.model_copy(
            update={
                "artefacts": [*staging.artefacts, staged],
                "next_sequence": staging.next_sequence + 1,
            }
        )

    def sync(self, staging: Staging) -> None:
        """Nothing to do: a finished put is durable."""

    def discard_unlisted(self, staging: Staging) -> None:
        location, listed = self._own(staging), {*staging.artefacts, OPEN}
        for info in self.storage.list(location):
            if info.key[len(location) + 1 :] not in listed:
                self.storage.delete(info.key)

    def publish(self, staging: Staging, record: CommitRecord | None = None) -> None:
        """Copy the staged objects into the live set and switch; idempotent after any crash.

        The completion marker (`_hygge_commits.json`) is written last: a run it names is
        published, and publishing it again only cleans up.
        """
        found = self._commits()
        if found is not None and staging.run_id in found.recent_runs:
            self.storage.delete_prefix(self._own(staging))
            return
        live = self._live()
        if live is None or live.get("run_id") != staging.run_id:
            self._refuse_foreign()
        if staging.run_type is RunType.FULL_DROP:
            self._switch_full_drop(staging, live)
        else:
            self._append_incremental(staging, live)
        self._write_commit(record or CommitRecord.of(staging), found)
        self.storage.delete_prefix(self._own(staging))

    def last_commit(self) -> CommitRecord | None:
        """The completion marker's last record; None before the first publish."""
        found = self._commits()
        return None if found is None else found.last

    def _commits(self) -> CommitLog | None:
        key = join_key(self.prefix, COMMITS)
        if self.storage.stat(key) is None:
            return None
        with self.storage.open_read(key) as handle:
            data = handle.read()
        try:
            return CommitLog.model_validate_json(data)
        except ValueError as exc:
            raise StateError(
                f"{self.storage.describe(key)} is not a hygge completion marker; run "
                "`hygge reset` for the entity, or restore the object"
            ) from exc

    def _write_commit(self, record: CommitRecord, found: CommitLog | None) -> None:
        runs = [] if found is None else [r for r in found.recent_runs if r != record.run_id]
        log = CommitLog(last=record, recent_runs=[*runs, record.run_id][-KEPT_RUNS:])
        data = log.model_dump_json(indent=2).encode()
        self.storage.put(join_key(self.prefix, COMMITS), io.BytesIO(data))

    def abort(self, staging: Staging) -> None:
        """Drop the staging and a half-copied set; the published set stays as it was."""
        live = self._live()
        if staging.run_type is RunType.FULL_DROP and (live or {}).get("run_id") != staging.run_id:
            self.storage.delete_prefix(join_key(self.prefix, _set_name(staging.run_id)))
        self.storage.delete_prefix(self._own(staging))

    def ownership_problem(self) -> str | None:
        try:
            found = self._read_owner()
        except StoreOwnershipError as exc:
            return str(exc)
        markers = {join_key(self.prefix, name) for name in (MARKER, LIVE, COMMITS)}
        others = [info.key for info in self.storage.list(self.prefix) if info.key not in markers]
        return judge_place(
            f"store prefix {self.storage.describe(self.prefix)}",
            expected=self._owner(),
            found=found,
            contents=[key[len(self.prefix) + 1 :] for key in others[:5]],
            count=len(others),
            adopt=self.config.adopt_existing,
            marker_name=MARKER,
        )

    def _read_owner(self) -> StoreOwner | None:
        marker = self.storage.stat(join_key(self.prefix, MARKER))
        if marker is None:
            return None
        where = self.storage.describe(marker.key)
        with self.storage.open_read(marker.key) as handle:
            data = handle.read()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise StoreOwnershipError(
                f"{where} cannot be read ({exc}); it claims the prefix for a store, so hygge "
                "will not replace it. Fix or delete it"
            ) from exc
        return StoreOwner.parse(text, where)

    def check(self) -> list[str]:
        problem = self.ownership_problem()
        return [problem] if problem else []

    def identity(self) -> str:
        return f"storage {self.config.format} {self.storage.describe(self.prefix)}"

    def _switch_full_drop(self, staging: Staging, live: dict[str, str] | None) -> None:
        new_set = _set_name(staging.run_id)
        if live is None or live.get("run_id") != staging.run_id:
            self._copy_staged(staging, new_set)
            self._write_owner()
            fault_point("during_publish")  # test hook: copied, not yet switched
            self._write_live(staging.run_id, new_set)
        keep = {join_key(self.prefix, name) for name in (MARKER, LIVE, COMMITS)}
        for info in self.storage.list(self.prefix):
            if info.key not in keep and not info.key.startswith(f"{self.prefix}/{new_set}/"):
                self.storage.delete(info.key)

    def _append_incremental(self, staging: Staging, live: dict[str, str] | None) -> None:
        if live is None:
            self._write_owner()  # before the first object: a crash leaves the prefix owned
            live = self._write_live(staging.run_id, _set_name(staging.run_id))
        self._copy_staged(staging, live["set"])

    def _copy_staged(self, staging: Staging, set_name: str) -> None:
        for name in staging.artefacts:
            src = join_key(self._own(staging), name)
            dst = join_key(self.prefix, set_name, published_name(name))
            source, published = self.storage.stat(src), self.storage.stat(dst)
            if source is None and published is None:
                raise StateError(
                    f"staged file {name} of run {staging.run_id} is in neither "
                    f"{self.storage.describe(src)} nor {self.storage.describe(dst)}: its rows "
                    "are lost. Run the entity again (a full_drop run restores everything)"
                )
            if source is not None and (published is None or published.size != source.size):
                if published is not None and staging.run_type is RunType.INCREMENTAL:
                    raise StateError(
                        f"{self.storage.describe(dst)} already exists and is not this run's "
                        "file; hygge never overwrites published files"
                    )
                self.storage.copy(src, dst)

    def _write_owner(self) -> None:
        key = join_key(self.prefix, MARKER)
        if self.storage.stat(key) is None:
            text = self._owner().model_dump_json(indent=2) + "\n"
            self.storage.put(key, text.encode("utf-8"), if_absent=True)

    def _write_live(self, run_id: str, set_name: str) -> dict[str, str]:
        live = {"run_id": run_id, "set": set_name}
        self.storage.put(join_key(self.prefix, LIVE), io.BytesIO(json.dumps(live).encode()))
        return live

    def _live(self) -> dict[str, str] | None:
        key = join_key(self.prefix, LIVE)
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

    def _published(self, name: str) -> str | None:
        live = self._live()
        key = join_key(self.prefix, live["set"], name) if live else None
        return key if key and self.storage.stat(key) is not None else None

    def _own(self, staging: Staging) -> str:
        """The staging key, if it is one `prepare` makes (a checkpoint is a file anyone edits)."""
        if staging.location.rpartition("/")[0] != self.staging_prefix:
            raise StateError(
                f"staging location {staging.location} of run {staging.run_id} is not under "
                f"{self.storage.describe(self.staging_prefix)}; hygge deletes nothing there"
            )
        return staging.location

    def _first_sequence(self, run_type: RunType) -> int:
        pattern, live = self._patterns[run_type], self._live()
        if run_type is RunType.FULL_DROP or pattern.unique_per_run or live is None:
            return 0
        entity, flow, start = self.place.entity, self.place.flow, len(self.prefix) + 1
        set_prefix = join_key(self.prefix, live["set"])
        found = [
            pattern.sequence_of(info.key[start:].rpartition("/")[2], entity=entity, flow=flow)
            for info in self.storage.list(set_prefix)
        ]
        return max((s for s in found if s is not None), default=-1) + 1


def _set_name(run_id: str) -> str:
    return f"set-{short_run_id(run_id, length=16)}"


def open_file_store(
    config: LocalStoreConfig,
    place: Place,
    storage: ObjectStorage | None = None,
    *,
    clock: Callable[[], datetime] | None = None,
) -> FileStore:
    """The file store for `storage`, by what it can do: on a local disk with atomic renames
    the folder-exchange store; elsewhere (no rename) copy, switch the live marker, delete."""
    if storage is None:
        return FileStore(config, place, clock=clock)
    root = storage.local_path("")
    if root is not None and storage.capabilities.atomic_rename:
        return FileStore(config, place, base=root, clock=clock)  # paths are its keys
    return ObjectFileStore(config, place, storage, clock=clock)
