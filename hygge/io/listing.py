"""List the data files under a folder: recursive, sorted, hidden names skipped.

Symbolic links are followed, to files and to folders, so a home may gather data kept
elsewhere. Every real folder is listed once: a folder reached a second time (a link loop, or
two links to one folder, whose files would be read twice) is a DataError, as is a broken link
or an entry that cannot be read. Nothing is skipped silently except hidden names.
"""

from __future__ import annotations

import os
import stat as stat_module
from dataclasses import dataclass, field
from pathlib import Path

from hygge.errors import DataError


@dataclass(frozen=True)
class ListedFile:
    """A data file: its path relative to the listed folder (POSIX), size and mtime (ns)."""

    path: str
    size: int
    mtime_ns: int


@dataclass
class FolderListing:
    """A folder's data files, and the other (not hidden) files it holds, by relative path."""

    files: list[ListedFile] = field(default_factory=list)
    others: list[str] = field(default_factory=list)


def is_hidden(name: str) -> bool:
    """Names starting with '.' or '_' are hygge's own or other tools' (staging, metadata)."""
    return name.startswith((".", "_"))


def list_files(folder: Path, extensions: tuple[str, ...]) -> list[ListedFile]:
    """Files under `folder` ending with one of `extensions`, sorted by relative path."""
    return list_folder(folder, extensions).files


def list_folder(folder: Path, extensions: tuple[str, ...]) -> FolderListing:
    """Files under `folder`: those ending with `extensions`, and the others, both sorted.

    Hidden files and folders (`is_hidden`) are skipped at every level below `folder`.
    """
    listing = FolderListing()
    _walk(folder, folder, extensions, listing, visited={})
    listing.files.sort(key=lambda f: f.path)
    listing.others.sort()
    return listing


def _walk(
    top: Path,
    current: Path,
    extensions: tuple[str, ...],
    listing: FolderListing,
    visited: dict[tuple[int, int], Path],
) -> None:
    identity = _identity(current)
    if identity in visited:
        raise DataError(
            f"{current} is the folder {visited[identity]} again (through a symbolic link): "
            "a link loop, or two links to one folder whose files would be read twice. Remove "
            "one of the links, or point the home at the real folder"
        )
    visited[identity] = current
    try:
        entries = sorted(os.scandir(current), key=lambda e: e.name)
    except OSError as exc:
        raise unreadable_error(current, exc) from exc
    for entry in entries:
        if is_hidden(entry.name):
            continue
        path = Path(entry.path)
        if entry.is_dir():  # follows links; False for a broken one
            _walk(top, path, extensions, listing, visited)
            continue
        try:
            stat = path.stat()
        except FileNotFoundError as exc:
            raise broken_link_error(path) from exc
        except OSError as exc:
            raise unreadable_error(path, exc) from exc
        relative = path.relative_to(top).as_posix()
        if not stat_module.S_ISREG(stat.st_mode):
            raise not_a_file_error(path, stat.st_mode)
        if entry.name.lower().endswith(extensions):
            listing.files.append(ListedFile(relative, stat.st_size, stat.st_mtime_ns))
        else:
            listing.others.append(relative)


def _identity(folder: Path) -> tuple[int, int]:
    try:
        stat = folder.stat()
    except OSError as exc:
        raise unreadable_error(folder, exc) from exc
    return stat.st_dev, stat.st_ino


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


def stat_file(path: Path) -> ListedFile:
    """A single file as a listing entry (its name as the relative path)."""
    stat = path.stat()
    return ListedFile(path.name, stat.st_size, stat.st_mtime_ns)
