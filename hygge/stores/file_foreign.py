"""Files in a file store's entity folder that hygge did not write: a full_drop exchanges the
whole folder (or deletes every object of the old set), so it refuses while one is there."""

from __future__ import annotations

from hygge.storage import ObjectStorage
from hygge.stores.ownership import StoreOwnershipError

SHOWN = 5


def foreign_files(storage: ObjectStorage, prefix: str, extension: str) -> list[str]:
    """Keys under `prefix` (relative to it) of names hygge never writes there: not a data file
    of the store's format, not hygge's own (`_hygge_…`), not hidden (`.…`: temp files, and the
    folder's metadata an OS writes, which readers skip)."""
    found: list[str] = []
    for info in storage.list(prefix):
        name = info.key.rpartition("/")[2]
        if name.endswith(extension) or name.startswith(("_hygge", ".")):
            continue
        found.append(info.key[len(prefix) :].lstrip("/"))
    return found


def refuse_foreign_files(storage: ObjectStorage, prefix: str, extension: str) -> None:
    """StoreOwnershipError naming a few of them and what to do, when there are any."""
    found = foreign_files(storage, prefix, extension)
    if not found:
        return
    shown = ", ".join(found[:SHOWN]) + (
        f" and {len(found) - SHOWN} more" if len(found) > SHOWN else ""
    )
    raise StoreOwnershipError(
        f"store folder {storage.describe(prefix)} holds {len(found)} file(s) hygge did not "
        f"write ({shown}); a full_drop replaces the whole folder, so hygge refuses and deletes "
        "nothing. Move them out of the folder and run again (the staged run resumes), or make the "
        "entity incremental"
    )
