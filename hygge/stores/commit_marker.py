"""The file store's completion marker: the `commits` part of the entity's `_hygge_store.json`.

It holds the last `CommitRecord` and the ids of the last `KEPT_RUNS` published runs (bounded:
it never grows with runs), so a repeated publish of a recent run changes nothing. A store
writes it where it becomes visible exactly with the data it describes (see each publish
strategy in `hygge.stores.file_publish`).
"""

from __future__ import annotations

import json

from pydantic import BaseModel, Field, ValidationError

from hygge.errors import StateError
from hygge.storage import ObjectStorage, join_key
from hygge.stores.base import CommitRecord
from hygge.stores.file_marker import MARKER, update_marker
from hygge.stores.ownership import StoreOwnershipError

KEPT_RUNS = 32


class CommitLog(BaseModel):
    """The `commits` part of `_hygge_store.json`."""

    last: CommitRecord
    recent_runs: list[str] = Field(default_factory=list)  # newest last, at most KEPT_RUNS


def read_commits(storage: ObjectStorage, prefix: str) -> CommitLog | None:
    """The completion marker in `prefix`'s store marker; None if there is none."""
    key = join_key(prefix, MARKER)
    try:
        if storage.stat(key) is None:
            return None
        with storage.open_read(key) as handle:
            found = json.loads(handle.read().decode("utf-8")).get("commits")
    except (OSError, ValueError, AttributeError, StoreOwnershipError):
        return None  # no marker hygge wrote: the ownership check refuses it, naming why
    if found is None:
        return None
    try:
        return CommitLog.model_validate(found)
    except ValidationError as exc:
        raise StateError(
            f"{storage.describe(key)} is not a hygge completion marker ({exc.error_count()} "
            f"problems); run `hygge reset` for the entity, or restore the file"
        ) from exc


def write_commit(storage: ObjectStorage, prefix: str, record: CommitRecord, published: str) -> None:
    """Add `record` to the store marker in `prefix` (written already), carrying the recent
    runs of the marker in `published`."""
    update_marker(storage, prefix, "commits", commit_log(storage, record, published))


def commit_log(storage: ObjectStorage, record: CommitRecord, published: str) -> dict[str, object]:
    """The completion marker naming `record`, carrying the recent runs of `published`'s."""
    found = read_commits(storage, published)
    runs = [] if found is None else [r for r in found.recent_runs if r != record.run_id]
    log = CommitLog(last=record, recent_runs=[*runs, record.run_id][-KEPT_RUNS:])
    return log.model_dump(mode="json")
