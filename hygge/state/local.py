"""StateBackend over a local folder: `.hygge/` under the workspace root by default.

Watermarks and checkpoints are one small JSON file per entity (reading one costs O(1) in the
number of past runs), locks are files guarded by an OS advisory lock, and the journal is one
parquet file per entity run. See `hygge.state.layout` for the folder's shape.
"""

from __future__ import annotations

import json
import logging
import socket
import tempfile
from collections.abc import Collection, Sequence
from datetime import timedelta
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from hygge.errors import StateError
from hygge.state.advice import first_problem, reload_advice
from hygge.state.atomic import is_torn, read_or_none, remove_durably, torn_bytes, write_atomic
from hygge.state.base import (
    FileRecord,
    LockInfo,
    ResetMark,
    StateKind,
    StateOwner,
    Watermark,
)
from hygge.state.clock import Clock, utc_now
from hygge.state.journal import JournalRead, JournalRow
from hygge.state.journal_folder import (
    journal_entity_names,
    read_journal_rows,
    read_readable_journal_rows,
    write_journal_row,
)
from hygge.state.layout import StateLayout
from hygge.state.ledger import (
    LedgerShard,
    by_shard,
    decode_shard,
    encode_shard,
    is_shard_file,
    records_by_shard,
    updated,
)
from hygge.state.lock import EntityLocks, file_mutex, read_lock
from hygge.state.lock_rules import DEFAULT_STALE_AFTER, PidAlive
from hygge.state.owner_file import read_owner, write_owner
from hygge.types import JsonValue

_CHECKPOINT = TypeAdapter(dict[str, JsonValue])
log = logging.getLogger(__name__)


class LocalStateBackend:
    """Durable state for one workspace in a local folder."""

    def __init__(
        self,
        state_dir: Path,
        journal_dir: Path | None = None,
        *,
        clock: Clock = utc_now,
        host: str | None = None,
        pid: int | None = None,
        stale_after: timedelta = DEFAULT_STALE_AFTER,
        alive: PidAlive | None = None,
    ) -> None:
        self.layout = StateLayout(state_dir, journal_dir or state_dir / "journal")
        self._locks = EntityLocks(
            host=socket.gethostname() if host is None else host,
            pid=pid,
            clock=clock,
            stale_after=stale_after,
            alive=alive,
        )

    # Watermarks

    def get_watermark(self, flow: str, entity: str) -> Watermark | None:
        return self._read_watermark(self.layout.path("watermarks", flow, entity), flow, entity)

    def set_watermark(self, flow: str, entity: str, watermark: Watermark) -> None:
        path = self.layout.path("watermarks", flow, entity)
        write_atomic(path, watermark.model_dump_json(indent=2).encode())

    def clear_watermark(self, flow: str, entity: str) -> bool:
        """Forget the watermark; True when there was one."""
        return remove_durably(self.layout.path("watermarks", flow, entity))

    def list_watermarks(self) -> dict[str, Watermark]:
        """Every stored watermark, keyed `flow.entity`."""
        found: dict[str, Watermark] = {}
        for flow, entity, path in self.layout.entries("watermarks"):
            watermark = self._read_watermark(path, flow, entity)
            if watermark is not None:  # removed between listing and reading
                found[f"{flow}.{entity}"] = watermark
        return found

    def get_reset(self, flow: str, entity: str) -> ResetMark | None:
        path = self.layout.path("resets", flow, entity)
        raw = read_or_none(path)
        if raw is None:
            return None
        try:
            return ResetMark.model_validate_json(raw)
        except ValidationError as error:
            fix = f"Run `hygge reset -e {flow}.{entity}` again: it rewrites the file"
            raise _corrupt(path, error, fix) from error

    def set_reset(self, flow: str, entity: str, mark: ResetMark) -> None:
        write_atomic(self.layout.path("resets", flow, entity), mark.model_dump_json().encode())

    def clear_reset(self, flow: str, entity: str) -> bool:
        return remove_durably(self.layout.path("resets", flow, entity))

    # The file ledger

    def read_file_ledger(
        self, flow: str, entity: str, paths: Collection[str]
    ) -> dict[str, FileRecord]:
        """The records of `paths`; only the shards they hash to are read."""
        found: dict[str, FileRecord] = {}
        for shard, wanted in by_shard(paths).items():
            stored = self._read_shard(flow, entity, shard)
            if stored is not None:
                found |= {p: stored.records[p] for p in wanted if p in stored.records}
        return found

    def write_file_ledger(self, flow: str, entity: str, records: Sequence[FileRecord]) -> None:
        """Rewrite (atomically, fsynced) only the shards whose records change."""
        folder = self.layout.ledger_folder(flow, entity)
        for shard, changes in records_by_shard(records).items():
            new = updated(self._read_shard(flow, entity, shard), changes)
            if new is not None:
                write_atomic(folder / f"{shard}.json", encode_shard(new))

    def clear_file_ledger(self, flow: str, entity: str) -> bool:
        folder = self.layout.owned_folder(self.layout.ledger_folder(flow, entity))
        shards = [path for path in sorted(folder.glob("*.json")) if is_shard_file(path.name)]
        removed = [remove_durably(path) for path in shards]
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
        return any(removed)

    def count_file_ledger(self, flow: str, entity: str) -> int:
        folder = self.layout.ledger_folder(flow, entity)
        shards = [self._read_shard(flow, entity, p.stem) for p in sorted(folder.glob("*.json"))]
        return sum(len(shard.records) for shard in shards if shard is not None)

    def _read_shard(self, flow: str, entity: str, shard: str) -> LedgerShard | None:
        path = self.layout.ledger_folder(flow, entity) / f"{shard}.json"
        raw = read_or_none(path)
        if raw is None:
            return None
        try:
            return decode_shard(raw)
        except ValidationError as error:
            raise _corrupt(path, error, reload_advice(flow, entity)) from error

    # Lookback margins

    def load_margin(self, flow: str, entity: str, pending: str | None = None) -> bytes | None:
        return read_or_none(self._margin_path(flow, entity, pending))

    def save_margin(self, flow: str, entity: str, data: bytes, pending: str) -> None:
        write_atomic(self._margin_path(flow, entity, pending), data)

    def promote_margin(self, flow: str, entity: str, pending: str) -> None:
        source = self._margin_path(flow, entity, pending)
        data = read_or_none(source)
        if data is not None:
            write_atomic(self._margin_path(flow, entity, None), data)
        self._drop_pending_margins(flow, entity)

    def clear_margin(self, flow: str, entity: str) -> None:
        remove_durably(self._margin_path(flow, entity, None))
        self._drop_pending_margins(flow, entity)

    def _margin_path(self, flow: str, entity: str, pending: str | None) -> Path:
        path = self.layout.path("margins", flow, entity)
        return path if pending is None else path.with_name(f"{entity}.{pending}.parquet")

    def _drop_pending_margins(self, flow: str, entity: str) -> None:
        folder = self.layout.path("margins", flow, entity).parent
        for path in folder.glob(f"{entity}.*.parquet") if folder.exists() else []:
            remove_durably(path)

    # Checkpoints

    def load_checkpoint(self, flow: str, entity: str) -> dict[str, JsonValue] | None:
        return self._read_checkpoint(self.layout.path("checkpoints", flow, entity), flow, entity)

    def save_checkpoint(
        self, flow: str, entity: str, checkpoint: dict[str, JsonValue], *, synced: bool = True
    ) -> None:
        try:
            data = json.dumps(checkpoint, separators=(",", ":"), allow_nan=False).encode()
        except (TypeError, ValueError) as error:
            raise StateError(
                f"the checkpoint of {flow}.{entity} is not plain JSON ({error}); "
                "this is a bug in hygge, please report it."
            ) from error
        # Unsynced, neither the file nor its folder is fsynced: a power cut may take it back
        # or tear it, and a torn one reads as none (`_read_checkpoint`).
        write_atomic(self.layout.path("checkpoints", flow, entity), data, synced=synced)

    def replace_checkpoint(
        self,
        flow: str,
        entity: str,
        checkpoint: dict[str, JsonValue],
        expected_generation: int,
        *,
        synced: bool = True,
    ) -> bool:
        path = self.layout.path("checkpoints", flow, entity)
        with file_mutex(path):  # every process and thread of this host: one at a time
            stored = self._read_checkpoint(path, flow, entity)
            if stored is None or stored.get("generation", 0) != expected_generation:
                return False
            self.save_checkpoint(flow, entity, checkpoint, synced=synced)
            return True

    def clear_checkpoint(self, flow: str, entity: str, *, synced: bool = True) -> None:
        remove_durably(self.layout.path("checkpoints", flow, entity), synced=synced)

    def list_checkpoints(self) -> dict[str, dict[str, JsonValue]]:
        """Every live checkpoint (an interrupted or running entity run), keyed `flow.entity`."""
        found: dict[str, dict[str, JsonValue]] = {}
        for flow, entity, path in self.layout.entries("checkpoints"):
            checkpoint = self._read_checkpoint(path, flow, entity)
            if checkpoint is not None:
                found[f"{flow}.{entity}"] = checkpoint
        return found

    # Locks

    def lock_path(self, flow: str, entity: str) -> Path:
        """The lock file of `flow.entity` (`hygge unlock` removes it once its holder is gone)."""
        return self.layout.path("locks", flow, entity)

    def acquire_lock(self, flow: str, entity: str, owner: str) -> LockInfo:
        """Take the entity's lock or raise EntityLockedError naming the holder."""
        return self._locks.acquire(self.lock_path(flow, entity), flow, entity, owner)

    def refresh_lock(self, flow: str, entity: str, owner: str) -> None:
        """Move the heartbeat forward; EntityLockedError if `owner` lost the lock."""
        self._locks.refresh(self.lock_path(flow, entity), flow, entity, owner)

    def release_lock(self, flow: str, entity: str, owner: str) -> None:
        """Remove the lock if `owner` holds it; another holder's lock is left in place."""
        self._locks.release(self.lock_path(flow, entity), flow, entity, owner)

    def get_lock(self, flow: str, entity: str) -> LockInfo | None:
        """Who holds the entity's lock, None when nobody; StateError when it is unreadable."""
        return read_lock(self.lock_path(flow, entity), flow, entity)

    def remove_lock(
        self, flow: str, entity: str, *, force: bool = False, holder: str | None = None
    ) -> LockInfo | None:
        """`hygge unlock`: remove a lock whose holder is gone (see `EntityLocks.remove`)."""
        return self._locks.remove(
            self.lock_path(flow, entity), flow, entity, force=force, holder=holder
        )

    def list_locks(self) -> dict[str, LockInfo]:
        """Every held lock, keyed `flow.entity`."""
        found: dict[str, LockInfo] = {}
        for flow, entity, path in self.layout.entries("locks"):
            info = read_lock(path, flow, entity)
            if info is not None:
                found[f"{flow}.{entity}"] = info
        return found

    # Journal

    def append_journal(self, row: JournalRow) -> None:
        write_journal_row(self.layout, row)

    def read_journal(
        self, flows: Sequence[str] = (), entities: Sequence[str] = (), limit: int | None = None
    ) -> list[JournalRow]:
        """Rows newest first; `entities` are `flow.entity` or bare names; filters narrow."""
        return read_journal_rows(self.layout, flows, entities, limit)

    def read_readable_journal(
        self, flows: Sequence[str] = (), entities: Sequence[str] = (), limit: int | None = None
    ) -> JournalRead:
        """As read_journal, but unreadable journal files are skipped and listed, not fatal."""
        return read_readable_journal_rows(self.layout, flows, entities, limit)

    def journal_names(self) -> list[str]:
        """`flow.entity` of every entity with a journal folder (also ones since removed)."""
        return journal_entity_names(self.layout.journal_dir)

    def journal_paths_glob(self) -> str:
        """A glob matching every journal file, for `pl.scan_parquet` or DuckDB `read_parquet`."""
        return str(self.layout.journal_dir / "**" / "*.parquet")

    # Describing

    def stored_entities(self, kind: StateKind) -> list[tuple[str, str]]:
        """Every `(flow, entity)` with a `kind` file, sorted; temp files skipped."""
        return [(flow, entity) for flow, entity, _ in self.layout.entries(kind)]

    def location(self) -> str:
        return str(self.layout.state_dir)

    def location_of(self, kind: StateKind, flow: str, entity: str) -> str:
        return str(self.layout.path(kind, flow, entity))

    def journal_location(self) -> str:
        return str(self.layout.journal_dir)

    def writable_problem(self) -> str | None:
        """None when the state folder (or the folder it will be created in) accepts a file."""
        state_dir = target = self.layout.state_dir
        while not target.exists() and target.parent != target:
            target = target.parent
        if not target.is_dir():
            return f"state folder {state_dir}: {target} is not a folder"
        try:
            with tempfile.TemporaryFile(dir=target):
                pass
        except OSError as error:
            return (
                f"state folder {state_dir} is not writable ({error.strerror or error}); "
                "fix its permissions or set `state: {path: ...}` in hygge.yml"
            )
        return None

    def state_owner(self) -> StateOwner | None:
        return read_owner(self.layout.state_dir)

    def set_state_owner(self, owner: StateOwner) -> None:
        write_owner(self.layout.state_dir, owner)

    def claim_state_owner(self, owner: StateOwner) -> StateOwner:
        write_owner(self.layout.state_dir, owner, overwrite=False)
        stored = read_owner(self.layout.state_dir)
        return owner if stored is None else stored

    # Reading

    def _read_watermark(self, path: Path, flow: str, entity: str) -> Watermark | None:
        raw = read_or_none(path)
        if raw is None:
            return None
        try:
            return Watermark.model_validate_json(raw)
        except ValidationError as error:
            raise _corrupt(path, error, reload_advice(flow, entity)) from error

    def _read_checkpoint(self, path: Path, flow: str, entity: str) -> dict[str, JsonValue] | None:
        raw = read_or_none(path)
        if raw is None:
            return None
        if is_torn(raw):
            # Only an unsynced save (a moving run's) can be torn, by a power cut: that run
            # crashed before publishing began, so it starts over; its staging is left.
            log.warning(
                "%s.%s: the checkpoint %s is torn by a power cut (%s) while a run moved; that "
                "run starts over (it had not begun to publish)",
                flow,
                entity,
                path,
                torn_bytes(raw),
            )
            return None
        try:
            return _CHECKPOINT.validate_json(raw)
        except ValidationError as error:
            raise _corrupt(path, error, reload_advice(flow, entity)) from error


def _corrupt(path: Path, error: ValidationError, fix: str) -> StateError:
    return StateError(
        f"state file {path} is corrupt ({first_problem(error)}); it was edited by hand or "
        f"damaged on disk. {fix}."
    )
