"""The state seam: watermarks, live checkpoints, entity locks and the journal.

Two implementations share this protocol: a local folder (`.hygge/` under the workspace root)
and, later, an Azure blob container. Every write is atomic; reading a watermark costs O(1)
whatever the number of past runs and of files loaded (a file home's files are recorded in the
sharded file ledger, not in the watermark).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Protocol

from pydantic import BaseModel

from hygge.records import FileRecord, Watermark
from hygge.state.journal import JournalRow
from hygge.types import JsonValue

__all__ = ["FileRecord", "LockInfo", "StateBackend", "Watermark"]


class LockInfo(BaseModel):
    """Who holds an entity's lock."""

    owner: str  # entity_run_id
    host: str
    pid: int
    acquired_at: datetime
    heartbeat_at: datetime


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

    def save_checkpoint(self, flow: str, entity: str, checkpoint: dict[str, JsonValue]) -> None: ...

    def clear_checkpoint(self, flow: str, entity: str) -> None: ...

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
        """Move the heartbeat forward; EntityLockedError/StateError if `owner` lost the lock."""
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
