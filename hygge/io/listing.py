"""A home's listing: its data files and other files, and the errors a listing raises.

The walk itself is `hygge.storage.LocalStorage.list` (the storage seam). Symbolic links are
followed, to files and to folders, so a home may gather data kept elsewhere. Every real
folder is listed once: a folder reached a second time (a link loop, or two links to one
folder, whose files would be read twice) is a DataError, as is a broken link, a pipe, socket
or device, or an entry that cannot be read. Nothing is skipped silently except hidden names.
"""

from __future__ import annotations

import stat as stat_module
from dataclasses import dataclass, field
from pathlib import Path

from hygge.errors import DataError


@dataclass(frozen=True)
class ListedFile:
    """A data file: its path relative to the listed folder (POSIX), size, mtime (ns) and the
    storage's version tag (an ETag on blob storage), when the listing has one."""

    path: str
    size: int
    mtime_ns: int
    version: str | None = None


@dataclass
class FolderListing:
    """A folder's data files, and the other (not hidden) files it holds, by relative path."""

    files: list[ListedFile] = field(default_factory=list)
    others: list[str] = field(default_factory=list)


def is_hidden(name: str) -> bool:
    """Names starting with '.' or '_' are hygge's own or other tools' (staging, metadata)."""
    return name.startswith((".", "_"))


def broken_link_error(path: Path) -> DataError:
    if not path.is_symlink():
        return DataError(f"{path} disappeared while the home was listed; run again")
    target = path.readlink()
    return DataError(
        f"{path} is a symbolic link to {target}, which does not exist; restore its target or "
        "remove the link (hygge reads every file it lists, it never skips one silently)"
    )


def not_a_file_error(path: Path, mode: int) -> DataError:
    kind = (
        "a named pipe (FIFO)"
        if stat_module.S_ISFIFO(mode)
        else "a socket"
        if stat_module.S_ISSOCK(mode)
        else "a device"
    )
    return DataError(
        f"{path} is {kind}, not a regular file; hygge reads only files in a home (a pipe or "
        "device could block the run or never end). Move it out of the home folder"
    )


def unreadable_error(path: Path, exc: OSError) -> DataError:
    return DataError(
        f"{path} cannot be read ({exc.strerror or exc}); fix its permissions, or move it out "
        "of the home folder"
    )
