"""Staging folders no checkpoint owns: left by a run whose checkpoint was lost or removed.

A file store stages each run in `<store>/_hygge_staging/<entity>/<run>/`. Only the run its
checkpoint names can ever be resumed or published; any other folder there is left over (a
checkpoint that was unreadable and reset, deleted by hand, or a crash between preparing the
staging and saving the first checkpoint). `hygge debug` reports them and `hygge reset` removes
them, both only while no run holds the entity's lock.

A folder counts as hygge's by what hygge wrote into it, never by its name alone: a run folder
holds the open marker naming its own run, an `.old` aside holds the store marker (or an open
marker) it took over from the published folder, and an empty folder holds nothing to lose.
Anything else shaped like a run folder is a stranger's and is left alone.
"""

from __future__ import annotations

import re
from pathlib import Path

from hygge.engine import Checkpoint
from hygge.errors import StateError
from hygge.io.atomic import remove_empty_dir, remove_tree
from hygge.stores import Store
from hygge.stores.file_staging import STAGING_MARKERS
from hygge.stores.file_store import FileStore

# What `FileStore.prepare` names a run's staging folder (a run id: 32 hex digits), and its
# `.old` aside: only such folders are hygge's to report and remove; anything else is left.
_RUN_FOLDER = re.compile(r"[0-9a-f]{32}(\.old)?")


def orphaned_staging(store: Store, owner: Checkpoint | None) -> list[Path]:
    """The entity's staging folders that `owner` (its readable checkpoint, if any) does not own."""
    if not isinstance(store, FileStore) or store.staging_root is None:
        return []  # object storage: staging prefixes are listed by issue 9's reset
    owned: set[str] = set()
    if owner is not None:
        location = Path(owner.staging.location)
        owned = {location.name, f"{location.name}.old"}
    try:
        if not store.staging_root.is_dir():
            return []
        store.refuse_linked_staging()  # never list (and delete) a stranger's folder via a link
        children = list(store.staging_root.iterdir())
        found = [
            c
            for c in children
            if c.is_dir()
            and not c.is_symlink()
            and _RUN_FOLDER.fullmatch(c.name)
            and c.name not in owned
            and store.made_staging_folder(c)
        ]
    except OSError as exc:
        raise StateError(
            f"staging folder {store.staging_root} cannot be listed ({exc.strerror or exc}); "
            "hygge stages runs there: give the user running hygge access to it (chmod / chown)"
        ) from exc
    return sorted(found)


def remove_orphan(folder: Path) -> None:
    """Delete an orphaned staging folder, hygge's markers last, then its emptied parents."""
    for child in sorted(folder.iterdir()):
        if child.name not in STAGING_MARKERS:  # last, so a reset cut short still sees them
            remove_tree(child)
    remove_tree(folder)
    if remove_empty_dir(folder.parent):  # <store>/_hygge_staging/<entity>, then its parent
        remove_empty_dir(folder.parent.parent)
