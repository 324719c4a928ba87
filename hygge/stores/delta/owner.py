"""Whose a Delta table is: hygge's marker `_hygge_store.json` beside `_delta_log`.

A table folder is hygge's to write when it is missing, empty, or its marker names this
workspace's entity. A Delta table without the marker is another writer's: refused, unless
`adopt_existing: true` (the next publish marks it). A folder holding files that are not a
Delta table is refused always: writing a table there would bury them.
"""

from __future__ import annotations

from hygge.errors import HyggeError
from hygge.storage import join_key
from hygge.stores.delta.location import DeltaLocation
from hygge.stores.file_marker import MARKER, read_owner
from hygge.stores.ownership import StoreOwner, StoreOwnershipError, judge_place

DELTA_LOG = "_delta_log"
STAGING = "_hygge_staging"  # hygge's staging, inside the table folder (hidden from readers)
DATA = "hygge-data"  # hygge's data files, one folder per run (read only where the log says)
RUN_MARKER = "_run"  # in a run's staging folder from prepare until publish or abort
_SHOWN = 5


def table_problem(location: DeltaLocation, owner: StoreOwner, *, adopt: bool) -> str | None:
    """None if the store may write the table; else what is there and what to do."""
    storage, prefix = location.storage, location.prefix
    where = location.label
    linked = _linked_own_folder(location)
    if linked is not None:
        return linked
    try:
        found = read_owner(storage, prefix)
        names = set() if found is not None else _names(location)
        stray = _stray_data(location) if found is None and DATA in names else []
    except StoreOwnershipError as exc:
        return str(exc)
    except (OSError, HyggeError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        return f"Delta table folder {where} cannot be listed ({reason}); fix its permissions"
    if stray:  # no marker yet: only the files of a first run that crashed are hygge's
        return (
            f"Delta table folder {where} has no hygge marker but its {DATA} folder holds "
            f"{len(stray)} file(s) no hygge run staged ({', '.join(stray[:_SHOWN])}); "
            "hygge creates a Delta table only in a missing or empty folder (its own run files "
            f"aside), so it refuses and writes nothing. Move them out of {DATA} or give the "
            "store another path"
        )
    names -= {MARKER, STAGING, DATA}
    if found is None and names and DELTA_LOG not in names:
        shown = ", ".join(sorted(names)[:_SHOWN])
        more = f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
        return (
            f"Delta table folder {where} holds {len(names)} entr"
            f"{'y' if len(names) == 1 else 'ies'} and no Delta table ({shown}{more}); hygge "
            "creates a Delta table only in a missing or empty folder, so it refuses (even with "
            "adopt_existing). Empty the folder or give the store another path"
        )
    what = f"Delta table {where}" if DELTA_LOG in names else f"Delta table folder {where}"
    return judge_place(
        what,
        expected=owner,
        found=found,
        contents=sorted(names),
        count=len(names),
        adopt=adopt and DELTA_LOG in names,
        marker_name=MARKER,
    )


def _linked_own_folder(location: DeltaLocation) -> str | None:
    """What is wrong when hygge's own folder in a local table is a link or a file."""
    if location.local is None:
        return None
    for name in (STAGING, DATA):
        path = location.local / name
        if path.is_symlink():
            return (
                f"Delta table folder {location.label}: {name} is a symbolic link (to "
                f"{path.readlink()}); hygge keeps its own files there and never writes or "
                "deletes through a link. Remove the link (hygge makes the folder)"
            )
        if path.exists() and not path.is_dir():
            return (
                f"Delta table folder {location.label}: {name} is a file, where hygge keeps a "
                "folder of its own files; move the file away"
            )
    return None


def _stray_data(location: DeltaLocation) -> list[str]:
    """Files in `hygge-data/` of a folder without hygge's marker that no staged run holds: a
    run's files are `hygge-data/<run>/<file>`, and until its publish writes the marker its
    staging marker `_hygge_staging/<run>/_run` is there (put before its first file, deleted
    after them)."""
    storage, prefix = location.storage, location.prefix
    start = len(join_key(prefix, DATA)) + 1
    stray, staged = [], {}
    for info in storage.list(join_key(prefix, DATA)):
        run, _, name = info.key[start:].partition("/")
        if run not in staged:
            marker = join_key(prefix, STAGING, run, RUN_MARKER) if name else None
            staged[run] = marker is not None and storage.stat(marker) is not None
        if not staged[run]:
            stray.append(f"{DATA}/{info.key[start:]}")
    return sorted(stray)


def _names(location: DeltaLocation) -> set[str]:
    """The top-level names in the table folder (empty sub-folders included on a local disk)."""
    storage, prefix = location.storage, location.prefix
    start = len(prefix) + 1
    names = {info.key[start:].split("/")[0] for info in storage.list(prefix)}
    if location.local is not None and location.local.is_dir():
        names.update(p.name for p in location.local.iterdir())
    return names
