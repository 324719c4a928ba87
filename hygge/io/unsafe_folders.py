"""Folders no store may own: the filesystem root, the user's home, system folders and the
parents of the workspace. Load-time checks (hygge.config) and stores opening on a connection's
root (hygge.stores) ask the same rule."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import PurePath

# Refused as they are; their sub-folders are fine (e.g. /tmp/lake, /home/me/lake).
_SYSTEM = """
/ /bin /boot /dev /etc /home /lib /lib32 /lib64 /libx32 /media /mnt /opt /proc /root /run /sbin
/snap /srv /sys /tmp /usr /usr/local /var /var/tmp /private /private/tmp /private/var
/private/etc /Applications /Library /System /Users /Volumes
"""
SYSTEM_FOLDERS = frozenset(_SYSTEM.split())
# Refused with everything under them: the operating system's own trees.
_TREES = ("/bin", "/boot", "/dev", "/etc", "/proc", "/sbin", "/sys")
SYSTEM_TREES = tuple(PurePath(p) for p in _TREES)
SYSTEM_TREES_SET = frozenset(SYSTEM_TREES)


def user_homes() -> set[PurePath]:
    """The user's home folders: $HOME and the account's home, as real paths."""
    found = [os.environ.get("HOME")]
    try:
        import pwd

        found.append(pwd.getpwuid(os.getuid()).pw_dir)
    except (ImportError, KeyError):  # Windows, or a uid without an account
        pass
    return {PurePath(os.path.realpath(home)) for home in found if home}


def unsafe_reason(folder: PurePath, root: PurePath, homes: Iterable[PurePath]) -> str | None:
    """Why no store may own `folder` (a real path), or None."""
    if folder == PurePath(folder.anchor):
        return "the filesystem root"
    if folder in set(homes):
        return "your home folder"
    # Sets of the parents: `x in path.parents` builds every parent path again for each x.
    if str(folder) in SYSTEM_FOLDERS or not SYSTEM_TREES_SET.isdisjoint(folder.parents):
        return "a system folder"
    if folder in set(root.parents):
        return f"a parent of the workspace root {root}"
    return None
