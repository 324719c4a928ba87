"""Fixing a run's closed window at begin: the files present, the watermark range."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from hygge.engine.file_changes import fingerprint, select_files
from hygge.engine.identity import check_watermark_store
from hygge.engine.models import EntityTask
from hygge.errors import ConfigError
from hygge.homes import Window
from hygge.state.base import FileRecord, StateBackend, Watermark
from hygge.types import JsonScalar, RunType

log = logging.getLogger("hygge.engine")


@dataclass(frozen=True)
class RunWindow:
    """What begin fixes: the window, the files the watermark will record, the value type."""

    window: Window
    loaded_files: list[str] | None
    watermark_type: str | None
    notes: list[str] = field(default_factory=list)
    arrow_schema: str | None = None  # incremental runs keep to the published data's columns
    home_identity: str | None = None
    store_identity: str | None = None
    file_records: list[FileRecord] | None = None  # file homes: what is loaded after this run


def open_run_window(task: EntityTask, state: StateBackend) -> RunWindow:
    """The window this run reads, with the file fingerprints its watermark will record.

    An incremental run whose watermark describes another store is refused here, before the
    home is listed or anything is staged.
    """
    last = state.get_watermark(task.flow, task.entity)
    incremental = task.run_type is not RunType.FULL_DROP
    store = task.store.open(task.place).identity()
    notes = check_watermark_store(task, last, store) if incremental and last else []
    kind = last.value_type if incremental and last is not None and task.watermark else None
    lower = _lower_bound(task, last) if incremental else None
    column = task.watermark.column if task.watermark else None
    home = task.home.open(task.place)
    window = home.open_window(lower, column)
    window = window.model_copy(update={"lower": lower})
    notes += _changed_settings(task, last) if incremental else []
    schema = last.arrow_schema if incremental and last is not None else None
    ids = {"home_identity": home.identity(), "store_identity": store}
    if window.files is None:
        return RunWindow(window, None, kind, notes, schema, **ids)
    present = [fingerprint(entry) for entry in window.files]
    selection = select_files(task, home, window.files, last if incremental else None)
    if selection.files != window.files:
        window = window.model_copy(update={"files": selection.files, "rows_hint": None})
    notes += selection.notes
    return RunWindow(window, present, kind, notes, schema, **ids, file_records=selection.records)


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
