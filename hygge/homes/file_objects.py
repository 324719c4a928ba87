"""Where a file home's files are: a storage, the prefix window paths are relative to, and
whether the home is one file. Listing and change checks use ObjectInfo, never os.stat.

A local home keeps polars' native path reads; a home on object storage is read through
`open_read` into a temporary copy, so every reader (and its error messages) works unchanged.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from hygge.errors import DataError
from hygge.io.listing import FolderListing, ListedFile
from hygge.records import LOCAL_TAG
from hygge.storage import (
    LIVE_MARKER,
    LocalStorage,
    ObjectInfo,
    ObjectStorage,
    check_key,
    join_key,
)


@dataclass(frozen=True)
class HomeFiles:
    """A located home: `storage`, the `base` prefix and the single file's name (or None)."""

    storage: ObjectStorage
    base: str
    single: str | None

    def key(self, rel_path: str) -> str:
        return join_key(self.base, rel_path)

    def describe(self, rel_path: str = "") -> str:
        return self.storage.describe(self.key(rel_path))

    def stat(self, rel_path: str) -> ObjectInfo | None:
        return self.storage.stat(self.key(rel_path))


def locate_local(path: Path, extensions: tuple[str, ...]) -> HomeFiles | None:
    """A local folder or file (or `path` + one of `extensions`); None when nothing is there."""
    if path.is_dir():
        return HomeFiles(LocalStorage(path), "", None)
    if path.is_file():
        return HomeFiles(LocalStorage(path.parent), "", path.name)
    for extension in extensions:
        candidate = path.with_name(path.name + extension)
        if candidate.is_file():
            return HomeFiles(LocalStorage(candidate.parent), "", candidate.name)
    return None


def locate_in(storage: ObjectStorage, key: str, extensions: tuple[str, ...]) -> HomeFiles | None:
    """An object `key` (or `key` + an extension) or the prefix `key`; None when there is none.

    Object storage has no empty folders: a prefix without objects is reported as missing,
    so a mistyped path never reads as an empty source (a full_drop would empty the store).
    """
    key = key.strip("/")
    parent, _, name = key.rpartition("/")
    for candidate in (name, *(name + extension for extension in extensions)):
        if storage.stat(join_key(parent, candidate)) is not None:
            return HomeFiles(storage, parent, candidate)
    if next(iter(storage.list(key)), None) is not None:
        return HomeFiles(storage, key, None)
    return None


def list_home(files: HomeFiles, extensions: tuple[str, ...]) -> FolderListing:
    """The home's data files and other (not hidden) files, by path relative to its base."""
    if files.single is not None:
        info = files.stat(files.single)
        listed = [] if info is None else [ListedFile(files.single, *fingerprint(files, info))]
        return FolderListing(files=listed)
    listing = FolderListing()
    start = len(files.base) + 1 if files.base else 0
    for info in files.storage.list(_live_prefix(files), skip_hidden=True):
        relative = info.key[start:]
        if relative.lower().endswith(extensions):
            listing.files.append(ListedFile(relative, *fingerprint(files, info)))
        else:
            listing.others.append(relative)
    return listing


def fingerprint(files: HomeFiles, info: ObjectInfo) -> tuple[int, int, str | None]:
    """Size, mtime and a version tag. On object storage the tag is the ETag: a blob's mtime is
    whole seconds, so a same-size rewrite within one second is told by its ETag alone. A local
    file's tag is its ctime (`ctime-<ns>`, `records.LOCAL_TAG`): a rewrite in place with the
    same size and its mtime set back (`touch -d`) changes it, as does a copy, a chmod or a
    rename, so a file whose tag changed is digested again: the same bytes are only recorded
    with the new tag (never read again), other bytes are a change (`changed_files`). Not the
    storage's own local tag, which holds the inode (a remounted share changes it)."""
    if not files.storage.capabilities.local_paths:
        return info.size, info.mtime_ns, info.version
    tag = None if info.ctime_ns is None else f"{LOCAL_TAG}{info.ctime_ns:x}"
    return info.size, info.mtime_ns, tag


def _live_prefix(files: HomeFiles) -> str:
    """The live set a store without renames names in its marker (so a reader never sees two
    sets mid-publish), else the whole base."""
    marker = files.key(LIVE_MARKER)
    if files.storage.stat(marker) is None:
        return files.base
    with files.storage.open_read(marker) as handle:
        try:
            live = json.loads(handle.read())
            return files.key(check_key(str(live["set"])))
        except (ValueError, KeyError, TypeError) as exc:
            raise DataError(
                f"{files.describe(LIVE_MARKER)} is not hygge's live-set marker ({exc}); a "
                "hygge store writes it to name the published files. Fix or delete it"
            ) from exc


@contextmanager
def readable_path(files: HomeFiles, rel_path: str) -> Iterator[Path]:
    """A local path holding the file: the file itself on a local disk, else a temporary copy."""
    local = files.storage.local_path(files.key(rel_path))
    if local is not None:
        yield local
        return
    with tempfile.TemporaryDirectory(prefix="hygge-home-") as folder:
        copy = Path(folder) / Path(rel_path).name
        try:
            with files.storage.open_read(files.key(rel_path)) as source, copy.open("wb") as out:
                shutil.copyfileobj(source, out, 1 << 20)
        except FileNotFoundError as exc:
            raise DataError(
                f"{files.describe(rel_path)} disappeared during the run; it was listed when "
                "the run began. Restore it, or run again to read the files present now"
            ) from exc
        yield copy
