"""hygge.yml `state.path`: refused at load where no state folder can be (or should be)."""

from __future__ import annotations

import os
from pathlib import Path, PurePath

from hygge.config.tracked import Origin
from hygge.errors import ConfigError
from hygge.io.unsafe_folders import unsafe_reason, user_homes

PROJECT_FILE = "hygge.yml"
HINT = "set `state: {path: ...}` to a folder of its own (the default is .hygge)"
JOURNAL_HINT = (
    "set `journal: {path: ...}` to a folder of its own, or leave it out (the default is "
    "<state>/journal)"
)


def check_state_folder(
    root: Path,
    path: str,
    folder: Path,
    origin: Origin,
    *,
    key: str = "state.path",
    what: str = "the state folder",
    hint: str = HINT,
) -> None:
    """ConfigError naming `key` (`state.path`, or `journal.path`) when `folder` (where `path`
    leads) is the workspace root itself, a folder nothing of hygge's may fill (`/`, a home),
    a file or a broken link."""
    if not path.strip():  # `folder` is then whatever the caller fell back to: name the root
        raise ConfigError(
            f"{key} '{path}' is empty: it names no folder but the workspace root {root} itself",
            file=origin.file or PROJECT_FILE,
            line=origin.line,
            hint=hint,
        )
    real = PurePath(os.path.realpath(folder))
    if real == PurePath(os.path.realpath(root)):
        problem = "is the workspace root itself"
    elif folder.is_symlink() and not folder.exists():
        problem = "is a link to nothing"
    elif folder.exists() and not folder.is_dir():
        problem = "is a file, not a folder"
    else:
        reason = unsafe_reason(real, PurePath(os.path.realpath(root)), user_homes())
        problem = "" if reason is None else f"is {reason}"
    if problem:
        raise ConfigError(
            f"{key} '{path}': {what} {folder} {problem}",
            file=origin.file or PROJECT_FILE,
            line=origin.line,
            hint=hint,
        )
