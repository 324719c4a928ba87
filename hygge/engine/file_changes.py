"""Which files an incremental run of a file home reads: new ones, appended parts, or none.

A loaded file is known by its `FileRecord` in the state's file ledger: size and mtime when
loaded, bytes and rows loaded and a digest of those bytes. A file whose size or mtime
changed is compared with its record: the same bytes with a new mtime were touched (nothing to
read); a csv/ndjson file whose loaded bytes are an unchanged prefix followed by new lines
was appended
(its new rows are read); anything else changed, and the home's `changed_files` decides.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import cast

from hygge.engine.models import EntityTask
from hygge.errors import DataError
from hygge.homes.base import FileEntry, FileParts, Home
from hygge.io.digest import digest_algorithm
from hygge.state.base import FileRecord, StateBackend, Watermark


@dataclass
class FileSelection:
    """The files to read (appended ones from their first new row) and the records to keep."""

    files: list[FileEntry] = field(default_factory=list)
    # What the commit writes to the file ledger: this run's files and touched ones (not the
    # unchanged rest of the landing zone, so a checkpoint stays as small as its window).
    records: list[FileRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


PARALLEL_DIGEST_BYTES = 16 << 20
"""Digest a window's files on several threads once they hold this many bytes: hashlib lets go
of the GIL, so a window of large files is hashed on every core (begin waits for it)."""


class _Records:
    """A selection's records in window order, the new files' digests taken in parallel."""

    def __init__(self, parts: FileParts, files: list[FileEntry]) -> None:
        self.parts = parts
        big = sum(entry.size for entry in files) >= PARALLEL_DIGEST_BYTES and len(files) > 1
        workers = min(len(files), os.cpu_count() or 1) if big else 1
        self.pool = ThreadPoolExecutor(workers, "hygge-digest") if workers > 1 else None
        self.records: list[Future[FileRecord] | FileRecord] = []

    def read(self, entry: FileEntry) -> None:
        """The record of `entry` as it is read now (`record_of`)."""
        if self.pool is None:
            self.records.append(record_of(self.parts, entry))
        else:
            self.records.append(self.pool.submit(record_of, self.parts, entry))

    def kept(self, record: FileRecord) -> None:
        self.records.append(record)

    def done(self) -> list[FileRecord]:
        """Every record, once the digests are taken (the first failure raised)."""
        try:
            return [r.result() if isinstance(r, Future) else r for r in self.records]
        finally:
            self.close()

    def close(self) -> None:
        """Stop the digests not started (a failed selection); wait for those running."""
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


def record_of(parts: FileParts, entry: FileEntry) -> FileRecord:
    """A file's record as it is read now, from row `entry.start_row` (rows grow while read)."""
    digest, whole_lines = parts.part_digest(entry.path, entry.size)
    return FileRecord(
        path=entry.path,
        size=entry.size,
        mtime_ns=entry.mtime_ns,
        rows=entry.start_row,
        digest=digest,
        whole_lines=whole_lines,
        version=entry.version,
    )


def known_records(
    task: EntityTask, state: StateBackend, last: Watermark | None, paths: list[str]
) -> dict[str, FileRecord]:
    """What is loaded of `paths`: the file ledger's records (only the shards of `paths` are
    read), or what an older watermark listed, until the next commit moves it to the ledger."""
    listed = set(paths)
    older = {r.path: r for r in legacy_records(last) if r.path in listed}
    return older | state.read_file_ledger(task.flow, task.entity, paths)


def legacy_records(last: Watermark | None) -> list[FileRecord]:
    """The files an older hygge's watermark lists, as records (fingerprints only: no digest)."""
    if last is None:
        return []
    records = {r.path: r for r in last.file_records or []}
    for text in last.files or []:
        path, size, mtime = [*text.rsplit("|", 2), "", ""][:3]
        if path not in records and size.isdigit() and mtime.lstrip("-").isdigit():
            records[path] = FileRecord(
                path=path, size=int(size), mtime_ns=int(mtime), rows=0, digest=None,
                whole_lines=False,
            )  # fmt: skip
    return list(records.values())


def select_files(
    task: EntityTask, home: Home, files: list[FileEntry], known: Mapping[str, FileRecord]
) -> FileSelection:
    """The files of `files` this run reads, given the records of those `known` as loaded."""
    parts = cast(FileParts, home)  # file windows come from homes declaring incremental_files
    selection = FileSelection()
    records = _Records(parts, [f for f in files if f.path not in known])
    try:
        for entry in files:
            _select(task, entry, known.get(entry.path), selection, records)
    except BaseException:
        records.close()
        raise
    selection.records = records.done()
    return selection


def _select(
    task: EntityTask,
    entry: FileEntry,
    record: FileRecord | None,
    selection: FileSelection,
    records: _Records,
) -> None:
    if record is not None and record.matches(entry.size, entry.mtime_ns, entry.version):
        return  # loaded, unchanged
    if record is None or record.digest is None:  # new, or known only by a fingerprint
        selection.files.append(entry)
        records.read(entry)
        if record is not None:
            selection.notes.append(
                f"file {entry.path} changed; it was loaded before hygge recorded file "
                "contents, so it is read again whole, as before (its earlier rows may double)"
            )
    else:
        _changed(task, entry, record, selection, records)


def _changed(
    task: EntityTask,
    entry: FileEntry,
    record: FileRecord,
    selection: FileSelection,
    records: _Records,
) -> None:
    """A loaded file with a new size or mtime: touched, appended, or changed (`changed_files`)."""
    parts = records.parts
    same = entry.size >= record.size
    algorithm = digest_algorithm(record.digest or "")
    same = same and algorithm is not None
    same = same and parts.part_digest(entry.path, record.size, algorithm or "")[0] == record.digest
    if same and entry.size == record.size:
        seen = {"mtime_ns": entry.mtime_ns, "version": entry.version}
        records.kept(record.model_copy(update=seen))
        if record.version is not None or record.mtime_ns != entry.mtime_ns:  # not a record
            # of an older hygge only gaining its tag
            selection.notes.append(f"file {entry.path} was touched (same content): not read again")
        return
    text = getattr(task.home, "format", "parquet") != "parquet"
    if same and text and _new_lines(parts, entry, record):
        start = record.size if record.whole_lines else None  # the next row starts there
        appended = entry.model_copy(update={"start_row": record.rows, "start_byte": start})
        selection.files.append(appended)
        records.read(appended)
        selection.notes.append(
            f"file {entry.path} grew by {entry.size - record.size:,} bytes after its "
            f"{record.rows:,} loaded rows: loading only its new rows"
        )
        return
    choice = getattr(task.home, "changed_files", "fail")
    if choice == "fail":
        raise _changed_error(task, entry, record)
    if choice == "reload":
        selection.files.append(entry)
        records.read(entry)
        selection.notes.append(
            f"{entry.path} changed since it was loaded: read again whole "
            "(changed_files: reload; its earlier rows stay in the store)"
        )
        return
    selection.notes.append(
        f"{entry.path} changed since it was loaded: left unread (changed_files: skip)"
    )


def _new_lines(parts: FileParts, entry: FileEntry, record: FileRecord) -> bool:
    """Whether the bytes after the loaded part start new lines (the last one had no newline)."""
    return record.whole_lines or parts.byte_at(entry.path, record.size) in (b"\n", b"\r")


def _changed_error(task: EntityTask, entry: FileEntry, record: FileRecord) -> DataError:
    what = (
        f"{record.size:,} → {entry.size:,} bytes; the part loaded before is not kept unchanged "
        "with only new lines after it"
    )
    if entry.size == record.size:
        what = f"rewritten with other content of the same size, {entry.size:,} bytes"
    return DataError(
        f"{task.qualified_name}: home file {entry.path} changed since it was loaded ({what}); "
        "reading it again would load its earlier rows twice. Choose on the home: "
        "`changed_files: reload` reads it whole again (its earlier rows stay in the store), "
        "`changed_files: skip` leaves this version unread; or reload the entity with "
        f"`hygge go --full-drop --entity {task.qualified_name}`"
    )
