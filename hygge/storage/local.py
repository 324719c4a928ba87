"""A local folder as storage: atomic renames and exchange, fsync of files and folders.

Listing follows symbolic links with the home's rules (hygge/io/listing.py): a link loop, a
broken link, or a pipe, socket or device is a DataError naming it, never a silent skip.
Conditional puts hold an advisory lock on the parent folder, so hygge processes sharing a
disk see put-if-absent and if-match as atomic.
"""

from __future__ import annotations

import builtins
import fcntl
import os
import shutil
import stat as stat_module
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from hygge.errors import DataError, StoreOwnershipError
from hygge.io.atomic import (
    _renameat2_fn,
    exchange_dirs,
    fsync_dir,
    fsync_file,
    move_no_replace,
    remove_tree,
    temp_name,
)
from hygge.io.listing import broken_link_error, not_a_file_error, unreadable_error
from hygge.storage.base import (
    Data,
    ObjectInfo,
    PreconditionFailedError,
    StorageCapabilities,
    UnsupportedOperationError,
    check_key,
)

MAKE_ATTEMPTS = 5
"""Times a folder chain is made again when a folder in it vanished meanwhile (see put)."""
PATHS_KEPT = 256
"""Joined paths one LocalStorage keeps (see `LocalStorage.path`)."""


def _version(st: os.stat_result) -> str:
    return f"{st.st_ino:x}-{st.st_size:x}-{st.st_mtime_ns:x}"


class LocalStorage:
    """The folder `root`; keys are paths relative to it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.label = str(root)
        # A step asks the path of the same few keys dozens of times (markers, its staging):
        # joined once each (pathlib's join parses every time). Bounded: listings add keys.
        self._paths: dict[str, Path] = {}
        self._real_root: Path | None = None
        self.capabilities = StorageCapabilities(
            atomic_rename=True,
            atomic_exchange=_renameat2_fn() is not None,
            durable_fsync=True,
            local_paths=True,
        )

    def path(self, key: str) -> Path:
        found = self._paths.get(key)
        if found is None:
            found = self.root / check_key(key) if key else self.root
            if len(self._paths) < PATHS_KEPT:
                self._paths[key] = found
        return found

    def describe(self, key: str) -> str:
        return str(self.path(key))

    def address(self, key: str) -> str:
        return str(self.path(key).resolve())

    def local_path(self, key: str) -> Path | None:
        return self.path(key)

    def _info(self, key: str, st: os.stat_result) -> ObjectInfo:
        return ObjectInfo(
            key=key, size=st.st_size, mtime_ns=st.st_mtime_ns, version=_version(st),
            ctime_ns=st.st_ctime_ns,
        )  # fmt: skip

    def list(
        self, prefix: str = "", *, recursive: bool = True, skip_hidden: bool = False
    ) -> Iterator[ObjectInfo]:
        prefix = check_key(prefix.strip("/"))
        top = self.path(prefix)
        if not top.is_dir():
            return iter(())
        found: builtins.list[ObjectInfo] = []
        self._walk(top, prefix, found, recursive=recursive, skip_hidden=skip_hidden, visited={})
        return iter(sorted(found, key=lambda info: info.key))

    def _walk(
        self,
        folder: Path,
        prefix: str,
        found: builtins.list[ObjectInfo],
        *,
        recursive: bool,
        skip_hidden: bool,
        visited: dict[tuple[int, int], Path],
    ) -> None:
        _visit(folder, visited)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            raise unreadable_error(folder, exc) from exc
        for entry in entries:
            if skip_hidden and entry.name.startswith((".", "_")):
                continue
            key = f"{prefix}/{entry.name}" if prefix else entry.name
            if entry.is_dir():  # follows links; False for a broken one
                if recursive:
                    self._walk(
                        Path(entry.path), key, found, recursive=True, skip_hidden=skip_hidden,
                        visited=visited,
                    )  # fmt: skip
                continue
            st = _stat_entry(entry)  # one stat per file (no Path built: 1,000 files cost it)
            if st is None:
                continue  # removed since the folder was read: a listing is a snapshot
            if not stat_module.S_ISREG(st.st_mode):
                raise not_a_file_error(Path(entry.path), st.st_mode)
            found.append(self._info(key, st))

    def stat(self, key: str) -> ObjectInfo | None:
        try:
            st = self.path(key).stat()
        except FileNotFoundError:
            return None
        if stat_module.S_ISDIR(st.st_mode):
            return None
        if not stat_module.S_ISREG(st.st_mode):
            raise not_a_file_error(self.path(key), st.st_mode)
        return self._info(key, st)

    def open_read(self, key: str) -> BinaryIO:
        return self.path(key).open("rb")

    def read_range(self, key: str, start: int, length: int) -> bytes:
        with self.path(key).open("rb") as handle:
            handle.seek(start)
            return handle.read(length)

    def put(
        self,
        key: str,
        data: Data,
        *,
        if_absent: bool = False,
        if_match: str | None = None,
        synced: bool = True,
    ) -> ObjectInfo:
        target = self.path(check_key(key))
        self._make_parents(target.parent)
        temp = target.with_name(temp_name(target.name))
        published = False
        try:
            _write(temp, data)
            fsync_file(temp)  # always: a name published before its bytes could read torn
            with _folder_lock(target.parent, if_absent or if_match is not None):
                self._check(key, target, if_absent, if_match)
                if if_absent:
                    move_no_replace(temp, target)
                else:
                    temp.replace(target)
                published = True
        except FileExistsError as exc:
            raise PreconditionFailedError(f"{target} already exists") from exc
        finally:
            if not published:  # a renamed temp file is gone: no unlink to fail with ENOENT
                temp.unlink(missing_ok=True)
        if synced:
            fsync_dir(target.parent)
        return self._info(key, target.stat())

    def _check(self, key: str, target: Path, if_absent: bool, if_match: str | None) -> None:
        if if_absent and target.exists():
            raise PreconditionFailedError(f"{target} already exists")
        if if_match is None:
            return
        current = self.stat(key)
        if current is None or current.version != if_match:
            found = "is missing" if current is None else f"is at version {current.version}"
            raise PreconditionFailedError(
                f"{target} {found}, not {if_match}: another writer changed it"
            )

    def _make_parents(self, folder: Path) -> None:
        """Create missing folders, fsyncing each one's parent so the new entry survives.

        A folder found may be removed before its child is made: another entity's clean-up
        removes the shared staging folder once it is empty. Then the chain is made again.
        """
        for attempt in range(MAKE_ATTEMPTS):
            try:
                _make_missing(folder)
                return
            except FileNotFoundError:
                if attempt == MAKE_ATTEMPTS - 1:
                    raise

    def copy(self, src: str, dst: str) -> ObjectInfo:
        with self.path(src).open("rb") as handle:
            return self.put(dst, handle)

    def _inside(self, key: str) -> Path:
        """The path of `key`, refused when its folder resolves (through links) outside the
        root: deleting there would touch files hygge did not write."""
        path = self.path(check_key(key))
        # The root's real path, once: should a link replace the root meanwhile, the folder's
        # real path no longer matches it, and the deletion is refused.
        if self._real_root is None:
            self._real_root = Path(os.path.realpath(self.root))
        root, parent = self._real_root, Path(os.path.realpath(path.parent))
        if parent != root and root not in parent.parents:
            raise StoreOwnershipError(
                f"{path} is in {parent} (through a symbolic link), outside the storage root "
                f"{root}: hygge deletes only inside it. Nothing was deleted; remove the link"
            )
        return path

    def delete(self, key: str, *, synced: bool = True) -> None:
        target = self._inside(key)
        target.unlink(missing_ok=True)
        if synced and target.parent.is_dir():
            fsync_dir(target.parent)

    def delete_prefix(self, prefix: str) -> int:
        if not prefix.strip("/"):
            return 0
        folder = self._inside(prefix.strip("/"))
        if not folder.exists():
            return 0
        count = sum(1 for _ in _files_below(folder))
        remove_tree(folder)
        fsync_dir(folder.parent)
        return count

    def rename(self, src: str, dst: str, *, no_replace: bool = True, synced: bool = True) -> None:
        source, target = self.path(check_key(src)), self.path(check_key(dst))
        self._make_parents(target.parent)
        try:
            move_no_replace(source, target) if no_replace else source.replace(target)
        except FileExistsError as exc:
            raise PreconditionFailedError(f"{target} already exists") from exc
        if not synced:
            return
        fsync_dir(target.parent)
        if source.parent != target.parent:
            fsync_dir(source.parent)

    def exchange(self, a: str, b: str, *, synced: bool = True) -> None:
        first, second = self.path(check_key(a)), self.path(check_key(b))
        if not exchange_dirs(first, second):
            raise UnsupportedOperationError(f"the filesystem of {first} cannot exchange folders")
        # One rename: a journaling filesystem commits both folders' entries together, so the
        # fsync of `b`'s folder makes the exchange durable; `a`'s names what `b` held.
        fsync_dir(second.parent)
        if synced and second.parent != first.parent:
            fsync_dir(first.parent)


def _write(temp: Path, data: Data) -> None:
    with temp.open("wb") as out:
        if isinstance(data, bytes):
            out.write(data)
        else:
            shutil.copyfileobj(data, out, 1 << 20)


@contextmanager
def _folder_lock(folder: Path, needed: bool) -> Iterator[None]:
    if not needed:
        yield
        return
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _visit(folder: Path, visited: dict[tuple[int, int], Path]) -> None:
    try:
        st = folder.stat()
    except OSError as exc:
        raise unreadable_error(folder, exc) from exc
    identity = (st.st_dev, st.st_ino)
    if identity in visited:
        raise DataError(
            f"{folder} is the folder {visited[identity]} again (through a symbolic link): "
            "a link loop, or two links to one folder whose files would be read twice. Remove "
            "one of the links, or point the home at the real folder"
        )
    visited[identity] = folder


def _stat_entry(entry: os.DirEntry[str]) -> os.stat_result | None:
    """The entry's stat (links followed); None when it was removed since its folder was read
    (a concurrent writer renamed its temp file: object storage would not list it either); a
    broken link is an error, hygge never skips a file it cannot read."""
    try:
        return entry.stat()
    except FileNotFoundError as exc:
        path = Path(entry.path)
        if not path.is_symlink() and not path.exists():
            return None
        raise broken_link_error(path) from exc
    except OSError as exc:
        raise unreadable_error(Path(entry.path), exc) from exc


def _files_below(folder: Path) -> Iterator[Path]:
    walk: Callable[..., Iterator[tuple[str, list[str], list[str]]]] = os.walk
    for base, _dirs, files in walk(folder):
        for name in files:
            yield Path(base) / name


def _make_missing(folder: Path) -> None:
    missing: list[Path] = []
    while not folder.is_dir():
        missing.append(folder)
        folder = folder.parent
    for each in reversed(missing):
        each.mkdir(exist_ok=True)
    # Each parent synced once all are made: one journal commit makes the chain durable, and
    # none of them can be removed meanwhile (each holds the next, the last is the caller's).
    for each in reversed(missing):
        fsync_dir(each.parent)
