"""List the data files under a folder: recursive, sorted, hidden names skipped."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ListedFile:
    """A data file: its path relative to the listed folder (POSIX), size and mtime (ns)."""

    path: str
    size: int
    mtime_ns: int


def is_hidden(name: str) -> bool:
    """Names starting with '.' or '_' are hygge's own or other tools' (staging, metadata)."""
    return name.startswith((".", "_"))


def list_files(folder: Path, extensions: tuple[str, ...]) -> list[ListedFile]:
    """Files under `folder` ending with one of `extensions`, sorted by relative path.

    Hidden files and folders (`is_hidden`) are skipped at every level below `folder`.
    """
    found: list[ListedFile] = []
    for current, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not is_hidden(d)]
        for name in files:
            if is_hidden(name) or not name.lower().endswith(extensions):
                continue
            path = Path(current) / name
            stat = path.stat()
            relative = path.relative_to(folder).as_posix()
            found.append(ListedFile(relative, stat.st_size, stat.st_mtime_ns))
    found.sort(key=lambda f: f.path)
    return found


def stat_file(path: Path) -> ListedFile:
    """A single file as a listing entry (its name as the relative path)."""
    stat = path.stat()
    return ListedFile(path.name, stat.st_size, stat.st_mtime_ns)
