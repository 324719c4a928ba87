"""Which store owns a place: the marker a store leaves where it publishes, and its verdict.

A store replaces or appends to only what it owns. Its place (a file store's entity folder; a
table, a blob prefix or a landing folder for later stores) is *owned* when it is missing,
empty, or carries a marker naming this workspace, flow and entity. Anything else is foreign:
refused before staging, unless the store block says `adopt_existing: true`, in which case the
next publish writes the marker and the place is owned from then on. A marker naming another
workspace or entity is refused even then: another store claims it.

Every store kind keeps its marker its own way (a file, a table comment, blob metadata) and
describes the place with `judge_place`, so every refusal reads alike.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SerializerFunctionWrapHandler, ValidationError, model_serializer

from hygge.errors import PublishRefusedError, StoreOwnershipError
from hygge.types import Place

ADOPT_KEY = "adopt_existing"
_SHOWN = 5  # names listed in a refusal
_PROJECT_FILES = ("hygge.yml", "hygge.yaml")  # what makes a folder a workspace

__all__ = [
    "ADOPT_KEY",
    "StoreOwner",
    "StoreOwnershipError",
    "judge_place",
    "refused_before_change",
    "table_mark",
]


@contextmanager
def refused_before_change() -> Iterator[None]:
    """Around a transactional publish's ownership checks, before it changes anything: their
    refusal is a PublishRefusedError, which ends the run instead of keeping it to finish."""
    try:
        yield
    except PublishRefusedError:
        raise
    except StoreOwnershipError as refused:
        raise PublishRefusedError(str(refused)) from refused


class StoreOwner(BaseModel):
    """What a marker says: who published here, with which store, since when."""

    workspace: str
    workspace_root: str
    flow: str
    entity: str
    store: str  # e.g. `parquet`, `local csv`
    created_at: datetime
    # A table store's table that was the user's, written into under `if_exists: append`: it
    # holds rows hygge did not write, so hygge never deletes them (`adopted_tables`). Not part
    # of the table's mark.
    adopted: bool = False

    @model_serializer(mode="wrap")
    def _adopted_only_when_true(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Markers and owner records read as before unless a table was adopted."""
        data: dict[str, Any] = handler(self)
        if not self.adopted:
            data.pop("adopted", None)
        return data

    @classmethod
    def of(cls, place: Place, store: str, now: datetime | None = None) -> StoreOwner:
        """The owner a store opened at `place` writes into its marker."""
        return cls(
            workspace=place.workspace,
            workspace_root=str(place.root),
            flow=place.flow,
            entity=place.entity,
            store=store,
            created_at=now or datetime.now(UTC),
        )

    @classmethod
    def parse(cls, text: str, where: str) -> StoreOwner:
        """A marker's content; StoreOwnershipError if it is not one hygge wrote."""
        try:
            return cls.model_validate_json(text)
        except ValidationError as exc:
            raise StoreOwnershipError(
                f"{where} is not a marker hygge can read ({exc.error_count()} problem(s)); "
                "it claims the folder for a store, so hygge will not replace it. Delete it only "
                "if no other hygge workspace writes there"
            ) from exc

    def same_entity(self, other: StoreOwner) -> bool:
        """One workspace's store for one entity (the root may move with the project)."""
        mine = (self.workspace, self.flow, self.entity)
        return mine == (other.workspace, other.flow, other.entity)

    def live_copy_of(self, other: StoreOwner) -> bool:
        """True if `other` is another copy of this workspace, and this one still exists where
        it was: two checkouts of one project, each with its own state, must not share a store
        (each would append everything). A workspace that moved left its old root empty."""
        mine, theirs = os.path.realpath(self.workspace_root), os.path.realpath(other.workspace_root)
        return mine != theirs and any((Path(mine) / name).is_file() for name in _PROJECT_FILES)

    def describe(self) -> str:
        return (
            f"entity {self.flow}.{self.entity} of workspace '{self.workspace}' "
            f"({self.workspace_root}), {self.store} store, since "
            f"{self.created_at.strftime('%Y-%m-%d %H:%M:%S')}"
        )


def table_mark(owner: StoreOwner) -> str:
    """The mark a table store leaves on the table it created for `owner` (as recorded): a
    comment (DuckDB, PostgreSQL), an extended property (SQL Server), the creation SQL (SQLite)."""
    recorded = owner.model_dump_json(exclude={"adopted"})  # marks made before it stay valid
    return "hygge:" + hashlib.sha256(recorded.encode()).hexdigest()[:32]


def judge_place(
    place_text: str,
    *,
    expected: StoreOwner,
    found: StoreOwner | None,
    contents: Sequence[str],
    count: int,
    adopt: bool,
    marker_name: str,
) -> str | None:
    """None if the store may publish at its place; else why not and what to do.

    `contents`: some names of what the place holds besides the marker; `count`: how many.
    """
    if found is not None:
        if found.same_entity(expected) and not found.live_copy_of(expected):
            return None
        if found.same_entity(expected):
            return (
                f"{place_text} belongs to {found.describe()} (its {marker_name} says so), and "
                f"that workspace is still there: this workspace ({expected.workspace_root}) is "
                f"another copy of it, with its own state, so both would add everything to one "
                f"store. Give this copy another store path (e.g. `--var` or a relative path); "
                f"if {found.workspace_root} is only an old copy, delete it and run again"
            )
        return (
            f"{place_text} belongs to {found.describe()} (its {marker_name} says so), not to "
            f"entity {expected.flow}.{expected.entity} of workspace '{expected.workspace}'; "
            f"hygge will not replace or add to another store's data. Give this entity another "
            f"store path, or, if that workspace no longer writes there, delete {marker_name}"
            f" and set `{ADOPT_KEY}: true` on this store"
        )
    if count == 0 or adopt:
        return None
    shown = ", ".join(sorted(contents)[:_SHOWN])
    more = f" and {count - _SHOWN} more" if count > _SHOWN else ""
    return (
        f"{place_text} already holds {count} entr{'y' if count == 1 else 'ies'} that hygge did "
        f"not write ({shown}{more}); a run of entity {expected.flow}.{expected.entity} would "
        f"replace or mix with them, so hygge refuses. Empty the folder, pick another store "
        f"path, or set `{ADOPT_KEY}: true` on the store to let hygge own it (the next run "
        f"replaces or adds to what is there)"
    )
