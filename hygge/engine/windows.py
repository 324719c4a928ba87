"""Fixing a run's closed window at begin: the files present, the watermark range."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePath
from typing import Protocol, runtime_checkable

from hygge.config.folders import folder_of
from hygge.engine.batches import from_json_scalar, to_json_scalar
from hygge.engine.file_changes import known_records, select_files
from hygge.engine.identity import check_watermark_store
from hygge.engine.margin import lookback_delta, minus
from hygge.engine.models import EntityTask
from hygge.errors import ConfigError, DataError
from hygge.homes import ReadSpec, Window, file_partitions
from hygge.homes.base import FileEntry
from hygge.state.base import FileRecord, StateBackend, Watermark
from hygge.stores import Store
from hygge.types import JsonScalar, RunType

log = logging.getLogger("hygge.engine")


@runtime_checkable
class HintedFiles(Protocol):
    """A file home that lists its window without the rows hint and counts it for the files
    a run reads (`hygge.homes.file_home.FileHome`)."""

    def list_window(self, spec: ReadSpec) -> Window: ...

    def rows_hint(self, files: list[FileEntry]) -> int | None: ...


class Unread:
    """`open_run_window`'s default: the caller has not read the watermark."""


UNREAD = Unread()


@dataclass(frozen=True)
class RunWindow:
    """What begin fixes: the window, the records the file ledger will get, the value type."""

    window: Window
    loaded_files: list[str] | None  # always None: the file ledger replaced the list
    watermark_type: str | None
    notes: list[str] = field(default_factory=list)
    arrow_schema: str | None = None  # incremental runs keep to the published data's columns
    home_identity: str | None = None
    store_identity: str | None = None
    file_records: list[FileRecord] | None = None  # file homes: the window's files' records


def open_run_window(
    task: EntityTask,
    state: StateBackend,
    last: Watermark | Unread | None = UNREAD,
    store: Store | None = None,
) -> RunWindow:
    """The window this run reads, with the records of its files the commit will write.

    `last`: the entity's watermark when the caller has just read it (else read here). An
    incremental run whose watermark describes another store is refused here, before the
    home is listed or anything is staged.
    """
    if isinstance(last, Unread):
        last = state.get_watermark(task.flow, task.entity)
    incremental = task.run_type is not RunType.FULL_DROP
    # `store`: the caller's, when it has opened it already (opening costs CPU).
    identity = (task.store.open(task.place) if store is None else store).identity()
    notes = check_watermark_store(task, last, identity) if incremental and last else []
    kind = last.value_type if incremental and last is not None and task.watermark else None
    lower = _lower_bound(task, last) if incremental else None
    home = task.home.open(task.place)
    spec = read_spec(task, lower, last.value_type if last else None)
    # A file home lists without its rows hint: it is asked below for the files read only.
    hinted = home if isinstance(home, HintedFiles) else None
    window = home.open_window(spec) if hinted is None else hinted.list_window(spec)
    window = window.model_copy(update={"lower": lower})
    notes += _changed_settings(task, last) if incremental else []
    schema = last.arrow_schema if incremental and last is not None else None
    home_identity = home.identity()
    if window.files is None:
        return RunWindow(window, None, kind, notes, schema, home_identity, identity)
    paths = [entry.path for entry in window.files]
    # The ledger goes with the watermark: without one, every file is new (as after a reset).
    known = known_records(task, state, last, paths) if incremental and last else {}
    selection = select_files(task, home, window.files, known)
    if selection.files != window.files:
        # The partitions are runs of the files this run reads: split those again.
        parts = file_partitions(selection.files, task.parallel)
        update = {"files": selection.files, "rows_hint": None, "partitions": parts}
        window = window.model_copy(update=update)
    # Only the files read could come back from the store (a loaded one left unread cannot).
    _refuse_own_output(task, window)
    if hinted is not None:
        window = window.model_copy(update={"rows_hint": hinted.rows_hint(selection.files)})
    notes += selection.notes
    return RunWindow(
        window, None, kind, notes, schema, home_identity, identity, file_records=selection.records
    )


def read_spec(task: EntityTask, lower: JsonScalar, kind: str | None) -> ReadSpec:
    """What the home is asked for: the bounds (with the lookback floor), column and keys."""
    column = task.watermark.column if task.watermark else None
    lookback = task.watermark.lookback if task.watermark else None
    floor = lookback_floor(lower, lookback, kind)
    return ReadSpec(
        lower=lower,
        lookback_floor=floor,
        column=column,
        key_columns=task.key_columns,
        parallel=task.parallel,
    )


def lookback_floor(
    lower: JsonScalar, lookback: str | int | float | None, kind: str | None
) -> JsonScalar:
    """`lower` minus `lookback` for a column of `kind` (guessed from `lower` when None).

    Where the lookback cannot apply (a string column) the floor is `lower`: the chunk's
    watermark filter refuses that lookback, naming the entity and the file.
    """
    if lower is None or lookback is None:
        return lower
    kind = kind or _kind_of(lower)
    try:
        delta = lookback_delta(lookback, kind) if kind else None
        value = from_json_scalar(lower, kind)
        if delta is None or not isinstance(value, datetime | date | int):
            return lower
        return to_json_scalar(minus(value, delta))
    except (ConfigError, DataError):
        return lower


def _kind_of(value: JsonScalar) -> str | None:
    """The watermark type a JSON bound reads as: int, datetime, date or None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return "int"
    if not isinstance(value, str):
        return None
    for kind, parse in (("date", date.fromisoformat), ("datetime", datetime.fromisoformat)):
        try:
            parse(value)
        except ValueError:
            continue
        return kind
    return None


def _refuse_own_output(task: EntityTask, window: Window) -> None:
    """DataError if a listed file is, through a link in the home, in the entity's own store
    folder: each run would read back what the last one published and double it."""
    root, connections = task.place.root, task.connections
    home, store = folder_of(root, task.home, connections), folder_of(root, task.store, connections)
    if home is None or store is None or not window.files:
        return
    base = Path(home) if Path(home).is_dir() else Path(home).parent
    for entry in window.files:
        real = PurePath(os.path.realpath(base / entry.path))
        if real == store or store in real.parents:
            raise DataError(
                f"{task.place.root / str(getattr(task.home, 'path', '')) / entry.path} is in "
                f"{store}, its own store folder (through a symbolic link in the home): each run "
                f"would read back what the last one published and double it. Nothing was moved; "
                f"remove the link from the home"
            )


def watermark_settings(task: EntityTask) -> str | None:
    """The watermark settings as one line, stored with the watermark to notice changes."""
    config = task.watermark
    if config is None:
        return None
    keys = ",".join(config.key_columns) or "-"
    return f"column={config.column} key_columns={keys} lookback={config.lookback or '-'}"


def _changed_settings(task: EntityTask, last: Watermark | None) -> list[str]:
    now = watermark_settings(task)
    if last is None or last.settings is None or now is None or last.settings == now:
        return []
    note = (
        f"watermark settings changed since the last run ({last.settings} → {now}); "
        "the stored watermark still applies"
    )
    log.warning("%s: %s", task.qualified_name, note)
    return [note]


def _lower_bound(task: EntityTask, last: Watermark | None) -> JsonScalar:
    if task.watermark is None:
        return None
    if last is not None and last.column and last.column != task.watermark.column:
        raise ConfigError(
            f"{task.qualified_name}: the watermark column changed from '{last.column}' to "
            f"'{task.watermark.column}', so the stored watermark no longer applies",
            hint=(
                f"reload it once with `hygge go --full-drop --entity {task.qualified_name}` "
                f"(or forget the old watermark with `hygge reset --flow {task.flow} "
                f"--entity {task.entity}`)"
            ),
        )
    if last is not None and last.value is not None:
        return last.value
    return task.watermark.initial
