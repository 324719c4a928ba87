"""StateBackend in memory: for tests, and for embedding hygge where state need not outlive it.

The semantics are the local folder's (the StateBackend contract battery runs both unchanged):
one lock holder per entity with the same takeover rules (`hygge.state.lock_rules`), fencing on
refresh, values stored as bytes so a caller's later change never shows through, and a write
that fails leaves the old value. Thread-safe: one mutex serialises every call. Several
`MemoryStateBackend` objects posing as different processes share one `MemoryState`.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pydantic import TypeAdapter

from hygge.errors import EntityLockedError, StateError
from hygge.state.base import FileRecord, LockInfo, ResetMark, StateKind, StateOwner, Watermark
from hygge.state.clock import Clock, as_utc, utc_now
from hygge.state.journal import JournalRead, JournalRow, newest_first
from hygge.state.ledger import (
    LedgerShard,
    by_shard,
    decode_shard,
    records_by_shard,
    updated,
)
from hygge.state.lock import lock_gone_error, log_takeover, taken_over_error
from hygge.state.lock_rules import (
    DEFAULT_STALE_AFTER,
    PidAlive,
    describe_holder,
    refuse_unlock,
    stale_reason,
)
from hygge.types import JsonValue

log = logging.getLogger(__name__)

_CHECKPOINT = TypeAdapter(dict[str, JsonValue])
Key = tuple[str, str]


@dataclass
class MemoryState:
    """The state itself, shared by every backend object over it (one per simulated process)."""

    mutex: threading.RLock = field(default_factory=threading.RLock)
    watermarks: dict[Key, bytes] = field(default_factory=dict)
    checkpoints: dict[Key, bytes] = field(default_factory=dict)
    resets: dict[Key, bytes] = field(default_factory=dict)
    margins: dict[tuple[str, str, str | None], bytes] = field(default_factory=dict)
    locks: dict[Key, bytes] = field(default_factory=dict)
    journal: list[bytes] = field(default_factory=list)
    ledger: dict[tuple[str, str, str], bytes] = field(default_factory=dict)  # (flow, entity, shard)
    # Which ledger shards were read and written, in order: what tests of the bounds look at.
    ledger_reads: list[tuple[str, str, str]] = field(default_factory=list)
    ledger_writes: list[tuple[str, str, str]] = field(default_factory=list)
    owner: bytes | None = None


class MemoryStateBackend:
    """Durable-for-the-process state; `host`, `pid`, clock and liveness check are injectable."""

    def __init__(
        self,
        state: MemoryState | None = None,
        *,
        clock: Clock = utc_now,
        host: str | None = None,
        pid: int | None = None,
        stale_after: timedelta = DEFAULT_STALE_AFTER,
        alive: PidAlive | None = None,
    ) -> None:
        self.state = MemoryState() if state is None else state
        self.clock = clock
        self.host = socket.gethostname() if host is None else host
        self._pid = pid
        self.stale_after = stale_after
        self._alive = alive

    # Watermarks

    def get_watermark(self, flow: str, entity: str) -> Watermark | None:
        raw = self.state.watermarks.get((flow, entity))
        return None if raw is None else Watermark.model_validate_json(raw)

    def set_watermark(self, flow: str, entity: str, watermark: Watermark) -> None:
        data = _encode(watermark.model_dump(mode="json"))
        with self.state.mutex:
            self.state.watermarks[(flow, entity)] = data

    def clear_watermark(self, flow: str, entity: str) -> bool:
        with self.state.mutex:
            return self.state.watermarks.pop((flow, entity), None) is not None

    def list_watermarks(self) -> dict[str, Watermark]:
        with self.state.mutex:
            stored = dict(self.state.watermarks)
        return {f"{f}.{e}": Watermark.model_validate_json(raw) for (f, e), raw in stored.items()}

    def get_reset(self, flow: str, entity: str) -> ResetMark | None:
        raw = self.state.resets.get((flow, entity))
        return None if raw is None else ResetMark.model_validate_json(raw)

    def set_reset(self, flow: str, entity: str, mark: ResetMark) -> None:
        with self.state.mutex:
            self.state.resets[(flow, entity)] = mark.model_dump_json().encode()

    def clear_reset(self, flow: str, entity: str) -> bool:
        with self.state.mutex:
            return self.state.resets.pop((flow, entity), None) is not None

    # The file ledger

    def read_file_ledger(
        self, flow: str, entity: str, paths: Collection[str]
    ) -> dict[str, FileRecord]:
        found: dict[str, FileRecord] = {}
        with self.state.mutex:
            for shard, wanted in by_shard(paths).items():
                stored = self._shard((flow, entity, shard))
                if stored is not None:
                    found |= {p: stored.records[p] for p in wanted if p in stored.records}
        return found

    def write_file_ledger(self, flow: str, entity: str, records: Sequence[FileRecord]) -> None:
        with self.state.mutex:
            for shard, changes in records_by_shard(records).items():
                key = (flow, entity, shard)
                new = updated(self._shard(key), changes)
                if new is not None:
                    self.state.ledger[key] = _encode(new.model_dump(mode="json"))
                    self.state.ledger_writes.append(key)

    def clear_file_ledger(self, flow: str, entity: str) -> bool:
        with self.state.mutex:
            keys = [key for key in self.state.ledger if key[:2] == (flow, entity)]
            for key in keys:
                del self.state.ledger[key]
            return bool(keys)

    def count_file_ledger(self, flow: str, entity: str) -> int:
        with self.state.mutex:
            keys = [key for key in self.state.ledger if key[:2] == (flow, entity)]
            return sum(len(decode_shard(self.state.ledger[key]).records) for key in keys)

    def _shard(self, key: tuple[str, str, str]) -> LedgerShard | None:
        self.state.ledger_reads.append(key)
        raw = self.state.ledger.get(key)
        return None if raw is None else decode_shard(raw)

    # Checkpoints

    def load_checkpoint(self, flow: str, entity: str) -> dict[str, JsonValue] | None:
        raw = self.state.checkpoints.get((flow, entity))
        return None if raw is None else _CHECKPOINT.validate_json(raw)

    def save_checkpoint(
        self, flow: str, entity: str, checkpoint: dict[str, JsonValue], *, synced: bool = True
    ) -> None:
        data = _encode(checkpoint, what=f"the checkpoint of {flow}.{entity}")
        with self.state.mutex:
            self.state.checkpoints[(flow, entity)] = data

    def replace_checkpoint(
        self,
        flow: str,
        entity: str,
        checkpoint: dict[str, JsonValue],
        expected_generation: int,
        *,
        synced: bool = True,
    ) -> bool:
        data = _encode(checkpoint, what=f"the checkpoint of {flow}.{entity}")
        with self.state.mutex:
            raw = self.state.checkpoints.get((flow, entity))
            stored = None if raw is None else _CHECKPOINT.validate_json(raw)
            if stored is None or stored.get("generation", 0) != expected_generation:
                return False
            self.state.checkpoints[(flow, entity)] = data
            return True

    def clear_checkpoint(self, flow: str, entity: str, *, synced: bool = True) -> None:
        with self.state.mutex:
            self.state.checkpoints.pop((flow, entity), None)

    def list_checkpoints(self) -> dict[str, dict[str, JsonValue]]:
        with self.state.mutex:
            stored = dict(self.state.checkpoints)
        return {f"{f}.{e}": _CHECKPOINT.validate_json(raw) for (f, e), raw in stored.items()}

    # Lookback margins

    def load_margin(self, flow: str, entity: str, pending: str | None = None) -> bytes | None:
        return self.state.margins.get((flow, entity, pending))

    def save_margin(self, flow: str, entity: str, data: bytes, pending: str) -> None:
        with self.state.mutex:
            self.state.margins[(flow, entity, pending)] = bytes(data)

    def promote_margin(self, flow: str, entity: str, pending: str) -> None:
        with self.state.mutex:
            data = self.state.margins.get((flow, entity, pending))
            if data is not None:
                self.state.margins[(flow, entity, None)] = data
            self._drop_pending_margins(flow, entity)

    def clear_margin(self, flow: str, entity: str) -> None:
        with self.state.mutex:
            self.state.margins.pop((flow, entity, None), None)
            self._drop_pending_margins(flow, entity)

    def _drop_pending_margins(self, flow: str, entity: str) -> None:
        for key in [k for k in self.state.margins if k[:2] == (flow, entity) and k[2]]:
            del self.state.margins[key]

    # Locks

    @property
    def pid(self) -> int:
        return os.getpid() if self._pid is None else self._pid

    def acquire_lock(self, flow: str, entity: str, owner: str) -> LockInfo:
        """Take the entity's lock or raise EntityLockedError naming the holder."""
        with self.state.mutex:
            now = as_utc(self.clock())
            held = self.get_lock(flow, entity)
            acquired_at = now
            if held is not None and held.owner == owner:
                acquired_at = as_utc(held.acquired_at)
            elif held is not None:
                reason = self._stale(held)
                if reason is None:
                    raise EntityLockedError(describe_holder(flow, entity, held, now))
                log_takeover(flow, entity, held, now, reason)
            return self._hold(flow, entity, owner, acquired_at)

    def refresh_lock(self, flow: str, entity: str, owner: str) -> None:
        """Move the heartbeat forward; EntityLockedError if `owner` lost the lock."""
        with self.state.mutex:
            held = self.get_lock(flow, entity)
            if held is None:
                raise lock_gone_error(flow, entity, owner)
            if held.owner != owner:
                raise taken_over_error(flow, entity, owner, held)
            self._hold(flow, entity, owner, as_utc(held.acquired_at))

    def release_lock(self, flow: str, entity: str, owner: str) -> None:
        """Remove the lock if `owner` holds it; another holder's lock is left in place."""
        with self.state.mutex:
            held = self.get_lock(flow, entity)
            if held is not None and held.owner != owner:
                log.warning(
                    "not releasing the lock of %s.%s: it is held by run %s, not by run %s",
                    flow,
                    entity,
                    held.owner,
                    owner,
                )
            elif held is not None:
                del self.state.locks[(flow, entity)]

    def get_lock(self, flow: str, entity: str) -> LockInfo | None:
        raw = self.state.locks.get((flow, entity))
        return None if raw is None else LockInfo.model_validate_json(raw)

    def remove_lock(
        self, flow: str, entity: str, *, force: bool = False, holder: str | None = None
    ) -> LockInfo | None:
        """`hygge unlock`: remove a lock whose holder is gone (rules of `unlock_refusal`)."""
        with self.state.mutex:
            held = self.get_lock(flow, entity)
            if held is None:
                return None
            refuse_unlock(
                held,
                as_utc(self.clock()),
                holder=holder,
                flow=flow,
                entity=entity,
                host=self.host,
                stale_after=self.stale_after,
                force=force,
                alive=self._alive,
            )
            del self.state.locks[(flow, entity)]
            return held

    def list_locks(self) -> dict[str, LockInfo]:
        with self.state.mutex:
            stored = dict(self.state.locks)
        return {f"{f}.{e}": LockInfo.model_validate_json(raw) for (f, e), raw in stored.items()}

    def _stale(self, held: LockInfo) -> str | None:
        now = as_utc(self.clock())
        return stale_reason(
            held, now, host=self.host, stale_after=self.stale_after, alive=self._alive
        )

    def _hold(self, flow: str, entity: str, owner: str, acquired_at: datetime) -> LockInfo:
        now = as_utc(self.clock())
        info = LockInfo(
            owner=owner, host=self.host, pid=self.pid, acquired_at=acquired_at, heartbeat_at=now
        )
        self.state.locks[(flow, entity)] = _encode(info.model_dump(mode="json"))
        return info

    # Journal

    def append_journal(self, row: JournalRow) -> None:
        data = _encode(row.model_dump(mode="json"))
        with self.state.mutex:
            self.state.journal.append(data)

    def read_journal(
        self, flows: Sequence[str] = (), entities: Sequence[str] = (), limit: int | None = None
    ) -> list[JournalRow]:
        """Rows newest event first; `entities` are `flow.entity` or bare names; filters narrow."""
        with self.state.mutex:
            stored = list(self.state.journal)
        rows = [JournalRow.model_validate_json(raw) for raw in stored]
        wanted = set(entities)
        rows = [
            row
            for row in rows
            if (not flows or row.flow in flows)
            and (not wanted or row.entity in wanted or f"{row.flow}.{row.entity}" in wanted)
        ]
        ordered = sorted(
            enumerate(rows), key=lambda pair: (*newest_first(pair[1]), pair[0]), reverse=True
        )
        newest = [row for _, row in ordered]
        return newest if limit is None else newest[: max(limit, 0)]

    def read_readable_journal(
        self, flows: Sequence[str] = (), entities: Sequence[str] = (), limit: int | None = None
    ) -> JournalRead:
        return JournalRead(self.read_journal(flows, entities, limit))  # all rows are readable

    def journal_names(self) -> list[str]:
        with self.state.mutex:
            stored = list(self.state.journal)
        rows = (JournalRow.model_validate_json(raw) for raw in stored)
        return sorted({f"{row.flow}.{row.entity}" for row in rows})

    # Describing

    def stored_entities(self, kind: StateKind) -> list[tuple[str, str]]:
        state = self.state
        values = {"watermarks": state.watermarks, "checkpoints": state.checkpoints}
        with state.mutex:
            return sorted(values.get(kind, state.locks))

    def location(self) -> str:
        return "memory"

    def location_of(self, kind: StateKind, flow: str, entity: str) -> str:
        return f"memory: {kind}/{flow}/{entity}"

    def journal_location(self) -> str:
        return "memory: journal"

    def writable_problem(self) -> str | None:
        return None

    def state_owner(self) -> StateOwner | None:
        with self.state.mutex:
            owner = self.state.owner
        return None if owner is None else StateOwner.model_validate_json(owner)

    def set_state_owner(self, owner: StateOwner) -> None:
        data = _encode(owner.model_dump(mode="json"))
        with self.state.mutex:
            self.state.owner = data

    def claim_state_owner(self, owner: StateOwner) -> StateOwner:
        data = _encode(owner.model_dump(mode="json"))
        with self.state.mutex:
            if self.state.owner is None:
                self.state.owner = data
            stored = self.state.owner
        return StateOwner.model_validate_json(stored)


def _encode(value: object, *, what: str = "a state value") -> bytes:
    """JSON bytes of `value`: what is stored, so the caller's objects are never shared."""
    try:
        return json.dumps(value, allow_nan=False).encode()
    except (TypeError, ValueError) as error:
        raise StateError(
            f"{what} is not plain JSON ({error}); this is a bug in hygge, please report it."
        ) from error
