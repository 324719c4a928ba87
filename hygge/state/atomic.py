"""Atomic, durable file writes for the local state folder.

A write goes to a temp file in the target's folder, is fsynced, then published with
`os.replace` (overwrite) or a rename that never overwrites (`renameat2(RENAME_NOREPLACE)` on
Linux, one call; elsewhere a hard link, then the temp file's removal), and the folder is
fsynced so the rename itself survives a power cut. Readers therefore see the old file or the
new one, never half of either. Temp files are named `.<name>.<random>.tmp`, so state globs
skip them.

An unsynced write (`synced=False`) skips both fsyncs: until the filesystem writes it back, a
power cut may lose it or leave it torn (the new name with no bytes yet, or its first bytes then
zeros). Its readers treat a torn file (`is_torn`) as absent, saying so; only files that need
not outlive a power cut are written so.
"""

from __future__ import annotations

import errno
import os
import stat
import uuid
from pathlib import Path

from hygge.errors import StateError
from hygge.io.atomic import fsync_dir, make_dirs, move_no_replace

TEMP_SUFFIX = ".tmp"
_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation
_READ_SIZE = 1 << 16  # state files are a few kB: one read holds one


def write_atomic(path: Path, data: bytes, *, overwrite: bool = True, synced: bool = True) -> bool:
    """Publish `data` at `path` atomically and durably; OS failures become StateError.

    With `overwrite=False` an existing file is never replaced: nothing is written and the
    result is False. Otherwise the result is True. `synced=False` fsyncs neither the file nor
    its folder, for a file that need not outlive a power cut (a lock: its holder does not
    either); while the system runs, readers see it whole, old or new; after a power cut it
    may be gone or torn (see `is_torn`).
    """
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}{TEMP_SUFFIX}")
    try:
        ensure_dir(path.parent)
        published = False
        try:
            (_write_synced if synced else _write_unsynced)(tmp, data)
            published = _publish(tmp, path, overwrite=overwrite)
        finally:
            if not published:  # a published temp file was renamed: nothing is left behind
                tmp.unlink(missing_ok=True)
        if published and synced:
            fsync_dir(path.parent)  # the rename itself survives a power cut
    except OSError as error:
        raise StateError(
            f"cannot write state file {path}: {error.strerror or error}. "
            "Check that the state folder is writable and the disk is not full."
        ) from error
    return published


def is_torn(raw: bytes) -> bool:
    """Whether a state file's bytes are what a power cut leaves of an unsynced write: its
    name published, its bytes never written back, or only the first of them (nothing, zeros,
    or a start then zeros to the end: a partial writeback). hygge writes JSON, which escapes
    NUL, so no valid state file ends in one (nor is empty); a NUL before other bytes is
    damage of another kind, reported as corrupt."""
    start = raw.rstrip(b"\0")
    return not raw or (len(start) < len(raw) and b"\0" not in start)


def torn_bytes(raw: bytes) -> str:
    """What is left of a torn file, for the warning that names it."""
    if not raw.strip(b"\0"):
        return f"{len(raw)} zero bytes" if raw else "empty"
    start = len(raw.rstrip(b"\0"))
    return f"{start} bytes, then zeros to byte {len(raw)}"


def read_or_none(path: Path) -> bytes | None:
    """The file's bytes, or None when it does not exist. Opened without waiting (a FIFO put
    there would block its reader forever), and refused unless it is a regular file."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | _BINARY)
    except FileNotFoundError:
        return None
    except OSError as error:  # a socket cannot be opened at all (ENXIO): say what it is
        kind = _mode_or_none(path)
        if kind is not None and not (stat.S_ISREG(kind) or stat.S_ISDIR(kind)):
            raise _not_hygges(path, kind) from error
        raise _unreadable(path, error) from error
    kind = os.fstat(fd).st_mode
    if stat.S_ISDIR(kind):
        os.close(fd)
        raise StateError(
            f"cannot read state file {path}: {os.strerror(errno.EISDIR)}, not a file hygge "
            f"wrote. If no hygge run is active, remove it (`rm -r {path}`); hygge writes its "
            "own there when it needs one."
        )
    if not stat.S_ISREG(kind):
        os.close(fd)
        raise _not_hygges(path, kind)
    try:
        return b"".join(iter(lambda: os.read(fd, _READ_SIZE), b""))
    except OSError as error:
        raise _unreadable(path, error) from error
    finally:
        os.close(fd)


def _mode_or_none(path: Path) -> int | None:
    try:
        return path.stat().st_mode
    except OSError:
        return None


def _not_hygges(path: Path, mode: int) -> StateError:
    return StateError(
        f"state file {path} is {_kind(mode)}, not a file hygge wrote: hygge cannot read it. "
        f"If no hygge run is active, remove it (`rm {path}`); hygge writes its own there "
        "when it needs one."
    )


def _kind(mode: int) -> str:
    kinds = {
        stat.S_ISFIFO: "a FIFO (named pipe)",
        stat.S_ISSOCK: "a socket",
    }
    return next((name for test, name in kinds.items() if test(mode)), "a device file")


def _unreadable(path: Path, error: OSError) -> StateError:
    return StateError(
        f"cannot read state file {path}: {error.strerror or error}. "
        "Check that the state folder is readable."
    )


def remove_durably(path: Path, *, synced: bool = True) -> bool:
    """Delete `path` and fsync its folder (unless not `synced`); False when it was gone."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as error:
        raise StateError(
            f"cannot remove state file {path}: {error.strerror or error}. "
            "Check that the state folder is writable."
        ) from error
    if synced:
        fsync_dir(path.parent)
    return True


def ensure_dir(folder: Path) -> None:
    """Create `folder` and missing parents, fsyncing each parent so the new entry is durable
    (once all are made: one journal commit for the chain)."""
    make_dirs(folder)


def _publish(tmp: Path, path: Path, *, overwrite: bool) -> bool:
    if overwrite:
        tmp.replace(path)
        return True
    try:
        move_no_replace(tmp, path)  # atomic, and refuses to replace an existing file
    except FileExistsError:
        return False
    return True


def _write_synced(path: Path, data: bytes) -> None:
    """Write a new file and fsync it: its bytes are on disk before the name that publishes it."""
    _write_unsynced(path, data, fsync=True)


def _write_unsynced(path: Path, data: bytes, *, fsync: bool = False) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if fsync:
            os.fsync(fd)
    finally:
        os.close(fd)
