"""The local state folder's owner record, `<state_dir>/owner.json`.

A state folder inside its workspace's root moves and is copied with the workspace, so its
record keeps the root relative to the state folder (`..` for the default `.hygge/`): the
workspace it sits in is its owner wherever it goes. A folder outside keeps the absolute root.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import ValidationError

from hygge.errors import StateError
from hygge.state.advice import first_problem
from hygge.state.atomic import read_or_none, write_atomic
from hygge.state.base import StateOwner

OWNER_FILE = "owner.json"


def read_owner(state_dir: Path) -> StateOwner | None:
    """The recorded owner with its root made absolute, None when nothing is recorded."""
    path = state_dir / OWNER_FILE
    raw = read_or_none(path)
    if raw is None:
        return None
    try:
        stored = StateOwner.model_validate_json(raw)
    except ValidationError as error:
        raise StateError(
            f"state file {path} is corrupt ({first_problem(error)}); it records which "
            "workspace the state folder belongs to. Run `hygge adopt-state` in the workspace "
            "that owns this state folder to record it again."
        ) from error
    if Path(stored.root).is_absolute():
        return stored
    root = os.path.normpath(state_dir.resolve() / stored.root)
    return stored.model_copy(update={"root": root})


def write_owner(state_dir: Path, owner: StateOwner, *, overwrite: bool = True) -> None:
    """Record `owner`; relative to the state folder when the folder is inside its root.
    With `overwrite=False` an existing record is kept (the write is exclusive)."""
    here = state_dir.resolve()
    root = Path(owner.root)
    recorded = owner
    if here.is_relative_to(root):
        recorded = owner.model_copy(update={"root": os.path.relpath(root, here)})
    data = recorded.model_dump_json(indent=2).encode()
    write_atomic(state_dir / OWNER_FILE, data, overwrite=overwrite)
