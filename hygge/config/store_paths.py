"""Paths hygge refuses at load: `~` and `$NAME` (never expanded), and stores in folders no
store may own.

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
from hygge.types import UNEXPANDED_HINT, unexpanded


def refuse_unexpanded(path: object, what: str, origin: Origin) -> None:
    """ConfigError if `path` starts with `~` or has a `$NAME` folder: hygge expands neither."""
    reason = unexpanded(path) if isinstance(path, str) else None
    if reason is not None:
        raise ConfigError(
            f"{what} path '{path}' {reason}",
            file=origin.file,
            line=origin.line,
            hint=UNEXPANDED_HINT,
        )


def real_path(root: Path, path: str) -> PurePath:
    """`path` made absolute against `root`, through symbolic links where `root` is local."""
    candidate = Path(path)
    joined = candidate if candidate.is_absolute() else root / candidate
    if not root.is_absolute():  # a blob prefix: nothing to resolve
        return PurePath(os.path.normpath(joined))
    return PurePath(os.path.realpath(joined))


def refuse_unsafe_store(
    entity: str,
    path: str,
    folder: PurePath,
    *,
    root: PurePath,
    origin: Origin,
    what: str,
    homes: set[PurePath] | None = None,
) -> None:
    """ConfigError if `folder` (the real path of `path`) is one no store may own; `homes`:
    the user's homes when the caller has them already (`user_homes()`)."""
    reason = unsafe_reason(folder, root, user_homes() if homes is None else homes)
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
