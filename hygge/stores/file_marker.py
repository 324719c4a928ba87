"""The file store's ownership marker: `_hygge_store.json` in the entity prefix it publishes.

Read and written through the storage (`hygge.storage`), so a folder on a local disk and a
prefix on object storage are judged alike.
"""

from __future__ import annotations

import json

from pydantic_core import to_json

from hygge.errors import HyggeError
from hygge.storage import ObjectStorage, join_key
from hygge.stores.ownership import StoreOwner, StoreOwnershipError, judge_place

MARKER = "_hygge_store.json"  # hidden from readers, like every name starting with '_'


def read_marker_text(storage: ObjectStorage, prefix: str) -> str | None:
    """The marker's text in `prefix`; None without one; StoreOwnershipError if unreadable."""
    key = join_key(prefix, MARKER)
    where = storage.describe(key)
    try:
        if storage.stat(key) is None:
            local = storage.local_path(key)
            if local is not None and (local.is_symlink() or local.exists()):
                raise OSError(f"{where} is not a regular file")
            return None
        local = storage.local_path(key)
        if local is not None and local.is_symlink():
            raise OSError(f"{where} is not a regular file")
        with storage.open_read(key) as handle:
            return handle.read().decode("utf-8")
    except (OSError, UnicodeDecodeError, HyggeError) as exc:  # a binary file is no marker
        raise StoreOwnershipError(
            f"{where} cannot be read ({exc}); it claims the folder for a store, so hygge "
            "will not replace it. Fix or delete it"
        ) from exc


def read_owner(storage: ObjectStorage, prefix: str) -> StoreOwner | None:
    """The owner `prefix`'s marker names; None without a marker; StoreOwnershipError if bad."""
    text = read_marker_text(storage, prefix)
    return (
        None if text is None else StoreOwner.parse(text, storage.describe(join_key(prefix, MARKER)))
    )


def write_marker(
    storage: ObjectStorage,
    prefix: str,
    owner: StoreOwner,
    published: str,
    *,
    commits: dict[str, object] | None = None,
) -> None:
    """Write `owner` (and `commits`, the completion marker, when given: one write for both)
    into `prefix`, keeping the first publish's date if `published` is ours."""
    found = read_owner(storage, published)
    if found is not None and found.same_entity(owner):
        owner = owner.model_copy(update={"created_at": found.created_at})
    content: dict[str, object] = owner.model_dump(mode="json")
    if commits is not None:
        content["commits"] = commits
    storage.put(join_key(prefix, MARKER), _encode(content))


def update_marker(storage: ObjectStorage, prefix: str, key: str, value: object) -> None:
    """Set `key` in the marker in `prefix` (written already), keeping everything else."""
    content = json.loads(read_marker_text(storage, prefix) or "{}")
    content[key] = value
    storage.put(join_key(prefix, MARKER), _encode(content))


def _encode(content: dict[str, object]) -> bytes:
    """Indented JSON, encoded natively: `json.dumps(indent=2)` is pure Python (~0.5 ms for a
    marker with its commit log, at every publish); the text is the same, UTF-8 unescaped."""
    return to_json(content, indent=2) + b"\n"


def place_problem(
    storage: ObjectStorage, prefix: str, owner: StoreOwner, *, adopt: bool, ours: frozenset[str]
) -> str | None:
    """None if a store of `owner` may publish into `prefix`: missing, empty or its own.

    `ours`: names hygge keeps there besides the marker (they never make a prefix foreign).
    """
    where = storage.describe(prefix)
    try:
        found = read_owner(storage, prefix)
        names: set[str] = set()
        if found is None:
            start = len(prefix) + 1 if prefix else 0
            for info in storage.list(prefix):
                names.add(info.key[start:].split("/")[0])
            local = storage.local_path(prefix)
            if local is not None and local.is_dir():  # empty folders are entries too
                names.update(p.name for p in local.iterdir())
            names -= {MARKER, *ours}
    except StoreOwnershipError as exc:
        return str(exc)
    except (OSError, HyggeError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        return f"store folder {where} cannot be listed ({reason}); fix its permissions"
    return judge_place(
        f"store folder {where}",
        expected=owner,
        found=found,
        contents=sorted(names),
        count=len(names),
        adopt=adopt,
        marker_name=MARKER,
    )
