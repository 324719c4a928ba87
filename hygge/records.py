"""What a published window leaves behind: the watermark and the file records it carries.

A bottom-layer module, so that stores (which own the commit) and state backends share one
model without importing each other.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from hygge.types import JsonScalar

LOCAL_TAG = "ctime-"
"""How a local file's version tag starts: its ctime (`hygge.homes.file_objects.fingerprint`)."""


class FileRecord(BaseModel):
    """A file loaded by a file home: how much of it, to tell a touch or an append from a change."""

    path: str  # relative to the home folder
    size: int  # bytes loaded
    mtime_ns: int
    rows: int  # rows of the file loaded (an append is read from here)
    # `algorithm:hex` of the loaded bytes (hygge.io.digest.part_digest: xxh3_128; an older
    # hygge's, sha256); None: known only by the fingerprint of an older hygge
    # (`path|size|mtime`), so a change reads it whole again
    digest: str | None
    whole_lines: bool  # the loaded bytes end at a line end
    # The storage's version tag when loaded (an ETag on blob storage); None: not known (a
    # record of an older hygge), then size and mtime alone tell an unchanged file.
    version: str | None = None

    def matches(self, entry_size: int, entry_mtime_ns: int, entry_version: str | None) -> bool:
        """Whether a file listed with this size, mtime and version is the one loaded."""
        if (self.size, self.mtime_ns) != (entry_size, entry_mtime_ns):
            return False
        if self.version is None and self.digest is not None and entry_version is not None:
            # A local record of an older hygge (size and mtime only): digested once, then
            # recorded with the tag; its bytes unchanged, it is not read again.
            return not entry_version.startswith(LOCAL_TAG)
        return self.version is None or entry_version is None or self.version == entry_version


class Watermark(BaseModel):
    """The high-water mark of an entity's last published window."""

    column: str | None = None
    value: JsonScalar = None
    value_type: str | None = None  # datetime | date | int | string
    # An older hygge listed a file home's loaded files here; they now live in the state's
    # file ledger. Old watermarks still load; the next commit moves their lists there.
    files: list[str] | None = None
    file_records: list[FileRecord] | None = None
    arrow_schema: str | None = None  # the published data's columns: incremental runs keep them
    settings: str | None = None  # the watermark settings it was made with (changes are reported)
    store_identity: str | None = None  # the store it describes (`Store.identity()`); None: older
    entity_run_id: str | None = None
    updated_at: datetime | None = None


class ResetMark(BaseModel):
    """What `hygge reset` forgot of an entity: the store's completion markers it left behind.

    A store that keeps its own completion marker (DuckDB, the SQL stores) would otherwise hand
    the forgotten watermark back to the next run (`hygge.engine.recovery`). A marker of a run
    named in `runs`, or committed at or before `reset_at`, brings no watermark back.
    """

    reset_at: datetime
    runs: list[str] = []  # the runs whose markers and watermark the reset forgot
    # The next incremental run publishes as a full_drop: it reads everything again, so it
    # replaces what the store holds instead of appending it twice. Cleared by that run's
    # publish; False: a reset with `--keep-data`, or one of an older hygge.
    full_drop_next: bool = False

    def forgets(self, run_id: str, committed_at: datetime | None) -> bool:
        """True when the marker of run `run_id` (committed at `committed_at`) is forgotten."""
        if run_id in self.runs:
            return True
        return committed_at is not None and committed_at <= self.reset_at
