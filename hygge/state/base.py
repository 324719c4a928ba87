"""The state seam: watermarks, live checkpoints, entity locks and the journal.

Implementations: a local folder (`.hygge/` under the workspace root), memory (tests,
embedding) and an Azure blob container (`hygge.state.blob`); hygge.yml's `state:` chooses one
(`hygge.state.config.open_state`). Every write is atomic; reading a watermark costs O(1)
whatever the number of past runs and of files loaded (a file home's files are recorded in
the sharded file ledger, not in the watermark). Drivers (the CLI included) use nothing but
this protocol.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel

from hygge.records import FileRecord, ResetMark, Watermark
from hygge.state.journal import JournalRead, JournalRow
from hygge.types import JsonValue

__all__ = [
    "FileRecord",
    "JournalRead",
    "LockInfo",
    "ResetMark",
    "StateBackend",
    "StateKind",
    "StateOwner",
    "Watermark",
]

# The per-entity state a backend can list: one value per (flow, entity) of each kind.
StateKind = Literal["watermarks", "checkpoints", "locks"]


class LockInfo(BaseModel):
    """Who holds an entity's lock."""

    owner: str  # entity_run_id
    host: str
    pid: int
    acquired_at: datetime
    heartbeat_at: datetime
    # The holder host's boot (Linux's boot id): a lock of an earlier boot has no live holder,
    # whatever process has its pid now. None: not known (another system, an older hygge).
    boot: str | None = None


class StateOwner(BaseModel):
    """The workspace a state belongs to (`hygge.state.owner`): name and resolved root."""

    name: str
    root: str  # absolute, resolved through symlinks

    @classmethod
    def of(cls, name: str, root: Path) -> StateOwner:
        return cls(name=name, root=str(root.resolve()))


class StateBackend(Protocol):
    """Durable state for one workspace."""

    def get_watermark(self, flow: str, entity: str) -> Watermark | None: ...

    def set_watermark(self, flow: str, entity: str, watermark: Watermark) -> None: ...

    def clear_watermark(self, flow: str, entity: str) -> bool:
        """Forget the watermark; True when there was one."""
        ...

    def list_watermarks(self) -> dict[str, Watermark]:
        """Every stored watermark, keyed `flow.entity`."""
        ...

    def get_reset(self, flow: str, entity: str) -> ResetMark | None:
        """What the entity's last `hygge reset` forgot; None if it was never reset."""
        ...

    def set_reset(self, flow: str, entity: str, mark: ResetMark) -> None:
        """Record a reset (atomically), replacing the record of an earlier one."""
        ...

    def clear_reset(self, flow: str, entity: str) -> bool:
        """Forget the record of the entity's reset (`hygge reset --orphaned`); True if one was."""
        ...

    def read_file_ledger(
        self, flow: str, entity: str, paths: Collection[str]
    ) -> dict[str, FileRecord]:
        """The ledger's records of `paths`, by path (unknown ones left out); reads only the
        shards they hash to (`hygge.state.ledger`)."""
        ...

    def write_file_ledger(self, flow: str, entity: str, records: Sequence[FileRecord]) -> None:
        """Put `records` in the ledger by path; rewrites only the shards that change, each
        atomically. Writing the same records again changes nothing (a retried commit)."""
        ...

    def clear_file_ledger(self, flow: str, entity: str) -> bool:
        """Forget what of the entity's files is loaded; True when something was recorded."""
        ...

    def count_file_ledger(self, flow: str, entity: str) -> int:
        """How many files the ledger records (reads every shard: for the CLI, not for runs)."""
        ...

    def load_checkpoint(self, flow: str, entity: str) -> dict[str, JsonValue] | None: ...

    def save_checkpoint(
        self, flow: str, entity: str, checkpoint: dict[str, JsonValue], *, synced: bool = True
    ) -> None:
        """Store the checkpoint, whole (the old one or the new, never half). `synced=False`:
        the replacement need not survive a power cut (a checkpoint of a moving run, which a
        synced one replaces before publishing begins: losing it is a crash before it)."""
        ...

    def replace_checkpoint(
        self,
        flow: str,
        entity: str,
        checkpoint: dict[str, JsonValue],
        expected_generation: int,
        *,
        synced: bool = True,
    ) -> bool:
        """Save `checkpoint` only if the stored one's `generation` is `expected_generation`
        (compare-and-swap: a blob If-Match on the ETag read with it, a local OS lock around
        read-compare-write); False, writing nothing, if it is not (or none is stored).
        `synced` as for `save_checkpoint`."""
        ...

    def clear_checkpoint(self, flow: str, entity: str, *, synced: bool = True) -> None:
        """Remove the checkpoint. `synced=False`: its removal need not survive a power cut
        (the checkpoint of a journaled run, which the next run just clears)."""
        ...

    def list_checkpoints(self) -> dict[str, dict[str, JsonValue]]:
        """Every live checkpoint (an interrupted or running entity run), keyed `flow.entity`."""
        ...

    def load_margin(self, flow: str, entity: str, pending: str | None = None) -> bytes | None:
        """The lookback margin (parquet bytes): committed, or a run's `pending` chunk copy."""
        ...

    def save_margin(self, flow: str, entity: str, data: bytes, pending: str) -> None:
        """Save a run's margin as of a chunk (`pending` names run and chunk)."""
        ...

    def promote_margin(self, flow: str, entity: str, pending: str) -> None:
        """Make a run's pending margin the committed one; drop other pending copies."""
        ...

    def clear_margin(self, flow: str, entity: str) -> None: ...

    def acquire_lock(self, flow: str, entity: str, owner: str) -> LockInfo:
        """Take the entity's lock or raise EntityLockedError naming the holder."""
        ...

    def refresh_lock(self, flow: str, entity: str, owner: str) -> None:
        """Move the heartbeat forward; EntityLockedError if `owner` lost the lock."""
        ...

    def release_lock(self, flow: str, entity: str, owner: str) -> None:
        """Remove the lock if `owner` holds it; another holder's lock is left in place."""
        ...

    def get_lock(self, flow: str, entity: str) -> LockInfo | None:
        """Who holds the entity's lock, None when nobody; StateError when unreadable."""
        ...

    def remove_lock(
        self, flow: str, entity: str, *, force: bool = False, holder: str | None = None
    ) -> LockInfo | None:
        """`hygge unlock`: remove a lock whose holder is gone; the removed holder, None if none.

        EntityLockedError while the holder may be alive (`lock_rules.unlock_refusal`: never a
        live pid on this host; another host's fresh heartbeat only with `force`), or when run
        `holder` no longer holds it. A lock that cannot be read goes only with `force`.
        """
        ...

    def list_locks(self) -> dict[str, LockInfo]:
        """Every held lock, keyed `flow.entity`."""
        ...

    def append_journal(self, row: JournalRow) -> None: ...

    def read_journal(
        self, flows: Sequence[str] = (), entities: Sequence[str] = (), limit: int | None = None
    ) -> list[JournalRow]: ...

    def read_readable_journal(
        self, flows: Sequence[str] = (), entities: Sequence[str] = (), limit: int | None = None
    ) -> JournalRead:
        """As read_journal, but entries that cannot be read are skipped and named, not fatal."""
        ...

    def journal_names(self) -> list[str]:
        """`flow.entity` of every entity the journal holds runs of (also ones since removed)."""
        ...

    # What a driver shows about the state (`hygge debug`, `hygge journal`, messages)

    def stored_entities(self, kind: StateKind) -> list[tuple[str, str]]:
        """Every `(flow, entity)` with `kind` state, sorted, unread (a damaged value too)."""
        ...

    def location(self) -> str:
        """Where this state lives: a folder path, a container URL."""
        ...

    def location_of(self, kind: StateKind, flow: str, entity: str) -> str:
        """Where one entity's `kind` state is kept (a file path, a blob name)."""
        ...

    def journal_location(self) -> str:
        """Where the journal lives: a folder (or prefix) of one parquet file per entity run."""
        ...

    def writable_problem(self) -> str | None:
        """Why state cannot be written there now (what to fix), or None when it can."""
        ...

    # Which workspace the state belongs to (`hygge.state.owner` holds the rule)

    def state_owner(self) -> StateOwner | None:
        """The workspace recorded as this state's owner, None before any is recorded;
        StateError when the record cannot be read."""
        ...

    def set_state_owner(self, owner: StateOwner) -> None:
        """Record `owner` (atomically), replacing any record, a damaged one included."""
        ...

    def claim_state_owner(self, owner: StateOwner) -> StateOwner:
        """Record `owner` only where no record exists yet, exclusively (of two claims at once,
        one wins); the record stored afterwards, `owner` or the one found."""
        ...
