"""Crash-safe file operations: atomic writes, no-clobber moves, folder exchange, fsync.

Every operation leaves a path either as it was or as intended: a reader never sees a half
written file or a half replaced folder, and a rename reported done survives a power cut.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import sys
import uuid
from collections.abc import Callable
from functools import cache
from pathlib import Path

_AT_FDCWD = -100
_RENAME_NOREPLACE = 1
_RENAME_EXCHANGE = 2
# errno values that mean "this kernel or filesystem cannot do that rename", not a real failure.
_UNSUPPORTED = {errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP}


def fsync_file(path: Path) -> None:
    """Flush a file's data to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries (renames, creations) to disk; a no-op where unsupported."""
    if sys.platform == "win32":  # Windows cannot open a folder for fsync; NTFS journals renames
        return
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_dirs(folder: Path) -> None:
    """Create `folder` and its missing parents, fsyncing the parent of each one created.

    A new folder's entry lives in its parent: without that fsync a power cut can lose the
    folder, and everything written into it, even after the files themselves were synced.
    """
    missing: list[Path] = []
    current = folder
    while not current.is_dir() and current.parent != current:
        missing.append(current)
        current = current.parent
    made = []
    for path in reversed(missing):
        try:
            path.mkdir()
        except FileExistsError:
            if not path.is_dir():
                raise
            continue  # created meanwhile by another writer, which syncs its entry
        made.append(path)
    for path in made:  # synced once all are made: one journal commit for the chain
        fsync_dir(path.parent)


def temp_name(name: str) -> str:
    """A hidden temporary name next to `name` (readers skip names starting with '.')."""
    return f".{name}.{uuid.uuid4().hex[:8]}.tmp"


def write_atomically(target: Path, write: Callable[[Path], None], *, sync_dir: bool = True) -> None:
    """Run `write(temp_path)`, fsync, then rename onto `target`: `target` is whole or absent.

    With `sync_dir=False` the folder's entry is left to the caller to fsync, once for many
    files (a store syncs its staging folder before a checkpoint lists them).
    """
    temp = target.with_name(temp_name(target.name))
    try:
        write(temp)
        fsync_file(temp)
        temp.replace(target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    if sync_dir:
        fsync_dir(target.parent)


def move_no_replace(src: Path, dst: Path) -> None:
    """Rename `src` to `dst`; raise FileExistsError (and move nothing) if `dst` exists."""
    if _renameat2(src, dst, _RENAME_NOREPLACE):
        return
    if sys.platform == "win32":  # os.rename never replaces on Windows
        src.rename(dst)
        return
    dst.hardlink_to(src)  # fails with FileExistsError if dst exists; atomic
    src.unlink()


def exchange_dirs(a: Path, b: Path) -> bool:
    """Swap two existing folders in one atomic step; False if the OS or filesystem cannot."""
    return _renameat2(a, b, _RENAME_EXCHANGE)


def swap_in(new: Path, target: Path, aside: Path) -> None:
    """Make folder `new` appear at `target`, replacing any old folder there.

    Where the OS allows, one atomic exchange: readers see the old or the new folder, never a
    mix, and the old content ends up at `new`. Elsewhere the old folder is renamed to `aside`
    first (a reader may briefly find `target` missing, never mixed). Safe to call again after
    a crash between the two renames of the fallback.
    """
    make_dirs(target.parent)
    if not target.exists():
        new.rename(target)
    elif not exchange_dirs(new, target):
        target.rename(aside)
        fsync_dir(aside.parent)
        new.rename(target)
    fsync_dir(target.parent)
    if new.parent != target.parent:
        fsync_dir(new.parent)


def remove_tree(path: Path) -> None:
    """Delete a folder and everything in it; nothing to do if it is gone."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def remove_empty_dir(path: Path) -> bool:
    """Delete `path` if it is an empty folder; True if it was removed (or already gone)."""
    try:
        path.rmdir()
    except FileNotFoundError:
        return True
    except OSError as exc:
        if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):  # another run still uses it
            return False
        raise
    return True


@cache
def _renameat2_fn() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    # The process's own symbols, libc's among them: `ctypes.util.find_library` would run
    # `ldconfig -p` in a child process (~6 ms of every run that writes state).
    libc = ctypes.CDLL(None, use_errno=True)
    fn = getattr(libc, "renameat2", None)
    if fn is None:  # libc older than glibc 2.28, or musl without it
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    result: Callable[..., int] = fn
    return result


def _renameat2(src: Path, dst: Path, flags: int) -> bool:
    fn = _renameat2_fn()
    if fn is None:
        return False
    if fn(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), flags) == 0:
        return True
    err = ctypes.get_errno()
    if err in _UNSUPPORTED:
        return False
    raise OSError(err, os.strerror(err), str(src), None, str(dst))
