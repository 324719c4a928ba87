"""The file store's completion marker: the `commits` part of the folder's `_hygge_store.json`.

It holds the last `CommitRecord` and the ids of the last `KEPT_RUNS` published runs (bounded:
it never grows with runs), so a repeated publish of a recent run changes nothing. A full_drop
run writes it into its staging folder before the exchange, an incremental run after its last
file: it is in the published folder exactly when the data it describes is.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from hygge.errors import StateError
from hygge.io.atomic import write_atomically
from hygge.stores.base import CommitRecord
from hygge.stores.file_marker import MARKER

KEPT_RUNS = 32


class CommitLog(BaseModel):
    """The `commits` part of `_hygge_store.json`."""

    last: CommitRecord
    recent_runs: list[str] = Field(default_factory=list)  # newest last, at most KEPT_RUNS


def read_commits(folder: Path) -> CommitLog | None:
    """The completion marker in `folder`'s store marker; None if there is none."""
    marker = folder / MARKER
    try:
        found = json.loads(marker.read_text(encoding="utf-8")).get("commits")
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (OSError, ValueError, AttributeError):
        return None  # no marker hygge wrote: the ownership check refuses it, naming why
    if found is None:
        return None
    try:
        return CommitLog.model_validate(found)
    except ValidationError as exc:
        raise StateError(
            f"{marker} is not a hygge completion marker ({exc.error_count()} problems); "
            f"run `hygge reset` for the entity, or restore the file"
        ) from exc


def write_commit(folder: Path, record: CommitRecord, published: Path) -> None:
    """Add `record` to the store marker in `folder` (written already), carrying the recent
    runs of the marker in `published`."""
    found = read_commits(published) if published.is_dir() else None
    runs = [] if found is None else [r for r in found.recent_runs if r != record.run_id]
    log = CommitLog(last=record, recent_runs=[*runs, record.run_id][-KEPT_RUNS:])
    content = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    content["commits"] = log.model_dump(mode="json")
    text = json.dumps(content, indent=2) + "\n"

    def write(temp: Path) -> None:
        temp.write_text(text, encoding="utf-8")

    write_atomically(folder / MARKER, write)
