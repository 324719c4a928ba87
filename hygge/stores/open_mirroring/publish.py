"""Landing a run's staged files in the table folder, in the spec's order, repeatably.

1. Plan: the published name of every staged file is decided and written to `_hygge_publish.
   json` in the staging folder before any file moves. Sequential names continue after the
   highest sequence present in the folder or recorded in its marker (a full_drop starts
   again at `starting_sequence` in the new folder); timestamp names after the newest one. A
   publish repeated after a crash reads the plan and reuses its own names: no gap, no
   number used twice.
2. full_drop only: delete the table folder (it is hygge's: checked just before), its marker
   last, so a crash part way leaves a folder still marked as ours; record the phase and when;
   wait what is left of `folder_deletion_wait_seconds` so Fabric sees the table dropped (a
   sleep; in the Functions driver a Durable timer: `DeletionWaitPending`).
3. The marker, `_metadata.json` (keyColumns never changed) and `_schema.json`.
4. Each file, in plan order: a rename where the storage renames (a local disk, ADLS), else a
   server-side copy then a delete of the staged file. A file appears whole under its name;
   Fabric never sees it half-written (staged files live beside the landing zone).
5. The completion marker (the run, its record and the last sequence), then
   `_partnerEvents.json` at the landing zone's top.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from hygge.errors import ConfigError, StateError, StoreOwnershipError
from hygge.faults import fault_point
from hygge.slots import idle_wait
from hygge.storage import join_key
from hygge.stores.base import CommitRecord, Staging
from hygge.stores.commit_marker import KEPT_RUNS, CommitLog, read_commits
from hygge.stores.file_marker import MARKER, read_owner, update_marker, write_marker
from hygge.stores.open_mirroring import spec
from hygge.types import RunType

if TYPE_CHECKING:
    from hygge.stores.open_mirroring.store import OpenMirroringStore

_TEMP = re.compile(r"^\.(.+)\.[0-9a-f]{8}\.tmp$")  # a hidden temporary name of `put`
PLAN = "_hygge_publish.json"  # in the staging folder: the names a publish lands
LAST_SEQUENCE = "last_sequence"  # in the table's marker


DEFER_AT_LEAST = 1.0  # seconds: a shorter rest of the wait is slept, never deferred
_DEFERRED: ContextVar[bool] = ContextVar("hygge_om_deferred_wait", default=False)


def _now() -> datetime:
    return datetime.now(UTC)


class DeletionWaitPending(Exception):  # noqa: N818 — a signal, not an error
    """A full_drop cleared the table folder and Fabric must be given `seconds` before the new
    files land: publish again after that (the plan in the staging folder resumes it: no file
    is deleted or named twice). Raised only inside `deferred_deletion_wait()`."""

    def __init__(self, seconds: float, table: str) -> None:
        super().__init__(f"{table}: cleared; {seconds:.0f}s left before the new files land")
        self.seconds = seconds


@contextmanager
def deferred_deletion_wait() -> Iterator[None]:
    """Within it, a full_drop's wait after clearing raises `DeletionWaitPending` instead of
    sleeping (the Functions driver waits on a Durable timer, holding no worker)."""
    token = _DEFERRED.set(True)
    try:
        yield
    finally:
        _DEFERRED.reset(token)


class Publisher:
    """The publish steps of one store (see module docstring)."""

    def __init__(self, store: OpenMirroringStore) -> None:
        self.store, self.storage = store, store.storage

    def publish(self, staging: Staging, record: CommitRecord) -> None:
        plan = self._plan(staging)
        if staging.run_type is RunType.FULL_DROP and plan["phase"] == "planned":
            self._clear_table()
            plan["phase"] = "cleared"
            plan["cleared_at"] = _now().isoformat()
            self.storage.put(join_key(staging.location, PLAN), spec.dumps(plan))
        if staging.run_type is RunType.FULL_DROP and plan.get("had_table", True):
            self._wait_for_fabric(plan)
        self._table_files(staging)
        for moved, (name, published) in enumerate(plan["names"]):
            if moved:
                fault_point("during_publish")  # test hook: some files landed, not all
            self._land(staging, name, published)
        self._commit(plan, record)
        if plan["last_sequence"] is not None:
            update_marker(self.storage, self.store.table, LAST_SEQUENCE, plan["last_sequence"])
        self._partner_events()

    def _commit(self, plan: dict[str, Any], record: CommitRecord) -> None:
        """The completion marker: this run, and the recent runs the table had before (a
        full_drop's clearing deleted the old marker; the plan kept its runs)."""
        found = read_commits(self.storage, self.store.table)
        runs = [*plan.get("prior_runs", []), *(found.recent_runs if found else [])]
        runs = [run for run in dict.fromkeys(runs) if run != record.run_id]
        log = CommitLog(last=record, recent_runs=[*runs, record.run_id][-KEPT_RUNS:])
        update_marker(self.storage, self.store.table, "commits", log.model_dump(mode="json"))

    def landed(self, staging: Staging) -> set[str]:
        """Staged names an earlier publish of this run has landed (per its plan)."""
        plan = self._read_plan(staging)
        if plan is None:
            return set()
        table = self.store.table
        return {n for n, p in plan["names"] if self.storage.stat(join_key(table, p)) is not None}

    def refuse_changed_keys(self) -> None:
        """ConfigError when the table's keyColumns differ from the config's (Fabric fixes
        them when the table is first mirrored)."""
        found = self.store.read_json(join_key(self.store.table, spec.METADATA))
        if found is None:
            return
        written, wanted = found.get("keyColumns", []), self.store.config.key_columns
        strategy = self.store.metadata().get("fileDetectionStrategy")
        if found.get("fileDetectionStrategy") != strategy:
            was = found.get("fileDetectionStrategy") or "sequential"
            raise ConfigError(
                f"{self.store.where}: file_detection {self.store.config.file_detection} "
                f"differs from the table's ({was}, in its {spec.METADATA}); the names Fabric "
                "orders the files by cannot change under a mirrored table",
                hint="set file_detection back, or run the entity once with run_type: full_drop "
                "(it drops and re-creates the table)",
            )
        if written != wanted:
            raise ConfigError(
                f"{self.store.where}: key_columns {wanted} differ from keyColumns {written} in "
                f"{self.storage.describe(join_key(self.store.table, spec.METADATA))}; Fabric "
                "never changes a mirrored table's keyColumns once written",
                hint=f"set key_columns back to {written}, or run the entity once with "
                "run_type: full_drop (it drops and re-creates the table with the new keys)",
            )

    # --- steps ---------------------------------------------------------------------------

    def _read_plan(self, staging: Staging) -> dict[str, Any] | None:
        found = self.store.read_json(join_key(staging.location, PLAN))
        if found is not None and found.get("run_id") != staging.run_id:
            raise StateError(f"{self.storage.describe(staging.location)} holds another run's plan")
        return found

    def _plan(self, staging: Staging) -> dict[str, Any]:
        found = self._read_plan(staging)
        if found is not None:
            return found
        if not self.store.is_staged_set(staging):
            raise StateError(
                f"staging folder {self.storage.describe(staging.location)} of run "
                f"{staging.run_id} is gone and nothing of it was landed: the staged data is "
                "lost. Run the entity again"
            )
        self.store.discard_unlisted(staging)
        prior = read_commits(self.storage, self.store.table)
        count = len(staging.artefacts)
        last: int | None = None
        if self.store.config.file_detection == "timestamp":
            moment = self._after_newest(datetime.now(UTC).replace(tzinfo=None))
            names = [spec.timestamp_name(moment, index) for index in range(count)]
        else:
            first = self._first_sequence(staging.run_type)
            names = [spec.sequential_name(first + index) for index in range(count)]
            last = first + count - 1 if count else first - 1
        plan: dict[str, Any] = {
            "run_id": staging.run_id,
            "phase": "planned",
            "names": [list(pair) for pair in zip(staging.artefacts, names, strict=True)],
            "last_sequence": last,
            "prior_runs": [] if prior is None else prior.recent_runs,
            "had_table": bool(self._names()),  # a full_drop of nothing need not wait
        }
        self.storage.put(join_key(staging.location, PLAN), spec.dumps(plan))
        return plan

    def _names(self) -> list[str]:
        start = len(self.store.table) + 1
        return [info.key[start:] for info in self.storage.list(self.store.table)]

    def _first_sequence(self, run_type: RunType) -> int:
        starting = self.store.config.starting_sequence
        if run_type is RunType.FULL_DROP:
            return starting  # the folder is replaced: a new table
        found = [spec.sequence_of(name) for name in self._names()]
        marker = self.store.read_json(join_key(self.store.table, MARKER)) or {}
        recorded = marker.get(LAST_SEQUENCE)
        highest = max(
            [s for s in found if s is not None] + ([recorded] if isinstance(recorded, int) else []),
            default=starting - 1,
        )
        return max(highest + 1, starting)

    def _after_newest(self, moment: datetime) -> datetime:
        stamps = [s for s in map(spec.stamp_of, self._names()) if s is not None]
        newest = max(stamps, default=None)
        return moment if newest is None or moment > newest else newest + timedelta(microseconds=1)

    def _wait_for_fabric(self, plan: dict[str, Any]) -> None:
        """What is left of `folder_deletion_wait_seconds` since the folder was cleared (a
        publish resumed after a crash waits only the rest): slept, or — inside
        `deferred_deletion_wait()` (the Functions driver) — raised as `DeletionWaitPending`
        for the caller to wait without holding a worker, then publish again."""
        seconds = self.store.config.folder_deletion_wait_seconds
        cleared = plan.get("cleared_at")
        if not seconds or not isinstance(cleared, str):
            return  # no wait asked; or a plan of a hygge that recorded it after its wait
        elapsed = (_now() - datetime.fromisoformat(cleared)).total_seconds()
        left = min(float(seconds), float(seconds) - max(elapsed, 0.0))
        if left <= 0:
            return
        if _DEFERRED.get() and left > DEFER_AT_LEAST:
            raise DeletionWaitPending(left, self.storage.describe(self.store.table))
        idle_wait(left)  # locally: the entity's concurrency slot goes to another meanwhile

    def _clear_table(self) -> None:
        """Delete the (owned) table folder, its marker last (`_wait_for_fabric` then waits
        for Fabric, when the folder held a table at the plan). Anything in
        it that hygge does not write (a file or folder put there by hand) stops it first."""
        table, marker = self.store.table, join_key(self.store.table, MARKER)
        foreign = self._foreign_entries()
        if foreign:
            shown = ", ".join(foreign[:5]) + (
                f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
            )
            raise StoreOwnershipError(
                f"table folder {self.storage.describe(table)} of {self.store.describe()} holds "
                f"{len(foreign)} entr{'y' if len(foreign) == 1 else 'ies'} hygge did not write "
                f"({shown}); a full_drop deletes the table folder, so hygge refuses and deletes "
                "nothing. Move them out of the folder and run again"
            )
        for info in list(self.storage.list(table)):
            if info.key != marker:
                self.storage.delete(info.key)
        self.storage.delete(marker)
        local = self.storage.local_path(table)
        if local is not None and local.is_dir():
            local.rmdir()  # empty now: Fabric sees the folder (the table) gone

    def _foreign_entries(self) -> list[str]:
        """Names in the table folder that hygge never writes there (sub-folders included)."""
        found = {name for name in self._names() if not _written_by_hygge(name)}
        local = self.storage.local_path(self.store.table)
        if local is not None and local.is_dir():
            found.update(f"{path.name}/" for path in local.iterdir() if path.is_dir())
        return sorted(found)

    def _table_files(self, staging: Staging) -> None:
        table, store = self.store.table, self.store
        if read_owner(self.storage, table) is None:
            write_marker(self.storage, table, store.owner(), table)
        if staging.run_type is not RunType.FULL_DROP:
            self.refuse_changed_keys()
        metadata = store.metadata()
        if store.read_json(join_key(table, spec.METADATA)) != metadata:
            self.storage.put(join_key(table, spec.METADATA), spec.dumps(metadata))
        columns = staging.extra.get("columns")
        if isinstance(columns, dict):
            self.storage.put(join_key(table, spec.SCHEMA_FILE), spec.dumps(columns))

    def _land(self, staging: Staging, name: str, published: str) -> None:
        """One staged file to its published name; repeatable after a crash."""
        src, dst = join_key(staging.location, name), join_key(self.store.table, published)
        source, landed = self.storage.stat(src), self.storage.stat(dst)
        if source is None:
            if landed is None:
                raise StateError(
                    f"staged file {name} of run {staging.run_id} is in neither "
                    f"{self.storage.describe(staging.location)} nor {self.storage.describe(dst)}"
                    ": its rows are lost. Run the entity with run_type: full_drop"
                )
            return  # landed by an earlier publish
        if landed is None:
            if self.storage.capabilities.atomic_rename:
                self.storage.rename(src, dst)
                return
            self.storage.copy(src, dst)
        elif landed.size != source.size:
            raise StateError(
                f"{self.storage.describe(dst)} exists and is not this run's file; hygge never "
                "overwrites a landed file. Nothing more was landed"
            )
        self.storage.delete(src)

    def _partner_events(self) -> None:
        """`_partnerEvents.json` at the landing zone's top, when `partner_name` is set; one
        another partner wrote is left as it is."""
        config = self.store.config
        if not config.partner_name:
            return
        key = join_key(self.store.landing, spec.PARTNER_EVENTS)
        wanted = spec.partner_events(config.partner_name, config.source_type, config.source_version)
        found = self.store.read_json(key)
        if found == wanted or (
            found is not None and found.get("partnerName") != wanted["partnerName"]
        ):
            return
        self.storage.put(key, json.dumps(wanted, indent=2).encode() + b"\n")


def _written_by_hygge(name: str) -> bool:
    """True for the names hygge writes in a table folder: data files, the spec's two files,
    its marker, and the hidden temporary name of any of them (a write cut short)."""
    temp = _TEMP.match(name)
    name = temp.group(1) if temp else name
    return name in (MARKER, spec.METADATA, spec.SCHEMA_FILE) or (
        spec.sequence_of(name) is not None or spec.stamp_of(name) is not None
    )
