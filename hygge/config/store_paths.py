"""Paths hygge refuses at load: `~` (never expanded) and stores in folders no store may own.

A store replaces what is in its folder, so its folder (and the flow's store root the entity
folders sit in) must never be the filesystem root, the user's home, a parent of the workspace
or a system folder. Paths compare as real paths, through symbolic links.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePath

from hygge.config.tracked import Origin
from hygge.errors import ConfigError
from hygge.io.unsafe_folders import unsafe_reason, user_homes

TILDE_HINT = (
    "write the path out (e.g. /home/me/lake, or lake for a folder in the workspace), or use "
    "${HOME}/lake if you really mean a folder in your home"
)


def refuse_tilde(path: object, what: str, origin: Origin) -> None:
    """ConfigError if `path` starts with `~`: hygge never expands it."""
    if isinstance(path, str) and path.startswith("~"):
        raise ConfigError(
            f"{what} path '{path}' starts with '~'; hygge does not expand '~', and will not "
            "guess whether you meant your home folder",
            file=origin.file,
            line=origin.line,
            hint=TILDE_HINT,
        )


def real_path(root: Path, path: str) -> PurePath:
    """`path` made absolute against `root`, through symbolic links where `root` is local."""
    candidate = Path(path)
    joined = candidate if candidate.is_absolute() else root / candidate
    if not root.is_absolute():  # a blob prefix: nothing to resolve
        return PurePath(os.path.normpath(joined))
    return PurePath(os.path.realpath(joined))


def refuse_unsafe_store(
    entity: str, path: str, folder: PurePath, *, root: PurePath, origin: Origin, what: str
) -> None:
    """ConfigError if `folder` (the real path of `path`) is one no store may own."""
    reason = unsafe_reason(folder, root, user_homes())
    if reason is None:
        return
    raise ConfigError(
        f"entity '{entity}' stores into '{path}', whose {what} {folder} is {reason}; a store "
        "replaces what is in its folder, so hygge never stores there",
        file=origin.file,
        line=origin.line,
        hint="store into a folder of its own, e.g. store: lake (in the workspace) or "
        "store: /data/lake",
    )
