"""The file store's ownership marker: `_hygge_store.json` in the entity folder it publishes."""

from __future__ import annotations

from pathlib import Path

from hygge.io.atomic import write_atomically
from hygge.stores.ownership import StoreOwner, StoreOwnershipError, judge_place

MARKER = "_hygge_store.json"  # hidden from readers, like every name starting with '_'


def read_owner(folder: Path) -> StoreOwner | None:
    """The owner `folder`'s marker names; None without a marker; StoreOwnershipError if bad."""
    marker = folder / MARKER
    if not marker.exists() and not marker.is_symlink():
        return None
    where = str(marker)
    try:
        if marker.is_symlink() or not marker.is_file():
            raise OSError(f"{where} is not a regular file")
        return StoreOwner.parse(marker.read_text(encoding="utf-8"), where)
    except (OSError, UnicodeDecodeError) as exc:  # a binary file is no marker either
        raise StoreOwnershipError(
            f"{where} cannot be read ({exc}); it claims the folder for a store, so hygge "
            "will not replace it. Fix or delete it"
        ) from exc


def write_marker(folder: Path, owner: StoreOwner, published: Path) -> None:
    """Write `owner` into `folder`, keeping the first publish's date if `published` is ours."""
    found = read_owner(published) if published.is_dir() else None
    if found is not None and found.same_entity(owner):
        owner = owner.model_copy(update={"created_at": found.created_at})
    text = owner.model_dump_json(indent=2) + "\n"

    def write(temp: Path) -> None:
        temp.write_text(text, encoding="utf-8")

    write_atomically(folder / MARKER, write)


def folder_problem(folder: Path, owner: StoreOwner, *, adopt: bool) -> str | None:
    """None if a store of `owner` may publish into `folder`: missing, empty or its own."""
    if not folder.is_dir():
        return None  # missing; a file in its place is the store's to report
    try:
        found = read_owner(folder)
        names = [] if found else [p.name for p in folder.iterdir() if p.name != MARKER]
    except StoreOwnershipError as exc:
        return str(exc)
    except OSError as exc:
        reason = exc.strerror or exc
        return f"store folder {folder} cannot be listed ({reason}); fix its permissions"
    return judge_place(
        f"store folder {folder}",
        expected=owner,
        found=found,
        contents=names,
        count=len(names),
        adopt=adopt,
        marker_name=MARKER,
    )
