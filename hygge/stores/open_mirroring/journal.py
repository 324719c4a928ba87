"""The mirrored journal (`mirror_journal: true`): hygge's run journal as a table of its own
in the landing zone, published once per `hygge go`, after every entity has finished.

The journal table (`journal_table_name`, default `hygge_journal`) is keyed by
`entity_run_id` and upserted (`__rowMarker__` 4), so a row landed twice is one row in Fabric.
Each publish lands this run's rows and every row started after the last mirrored one (a run
whose journal publish failed is caught up by the next). It is an Open Mirroring table like
any other: owned by hygge (`flow` `hygge`, entity the table's name), staged, then landed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from hygge.stores.base import CommitRecord
from hygge.stores.open_mirroring.config import OpenMirroringStoreConfig
from hygge.types import Place, RunType

DEFAULT_TABLE = "hygge_journal"
JOURNAL_FLOW = "hygge"
KEY = "entity_run_id"


@dataclass
class JournalTarget:
    """One journal table to publish: the store block naming it, where it opens, and the
    entities (`flow.entity`) whose runs it holds."""

    config: OpenMirroringStoreConfig
    place: Place
    entities: list[str]


def journal_targets(
    stores: Sequence[tuple[OpenMirroringStoreConfig, Place]],
) -> list[JournalTarget]:
    """The distinct journal tables the entities' store blocks ask for."""
    found: dict[str, JournalTarget] = {}
    for config, place in stores:
        if not config.mirror_journal:
            continue
        table = config.journal_table_name or DEFAULT_TABLE
        journal = config.model_copy(
            update={"key_columns": [KEY], "row_marker": 4, "file_detection": "sequential"}
        )
        key = journal.table_key(place.root, table) or table
        at = Place(place.root, JOURNAL_FLOW, table, place.workspace, place.connections)
        target = found.setdefault(key, JournalTarget(journal, at, []))
        target.entities.append(f"{place.flow}.{place.entity}")
    return list(found.values())


def publish_journal(target: JournalTarget, journal: pl.DataFrame, coordinator_run_id: str) -> int:
    """Land the journal rows (a frame, oldest first) of this run, and those started after the
    last mirrored one, in the target's table; how many rows were landed."""
    store = target.config.open(target.place)
    last = store.last_commit()
    this_run = pl.col("coordinator_run_id") == coordinator_run_id
    since = _moment(last.window_upper) if last is not None else None
    # The first publish lands the whole journal; later ones this run's rows and any newer.
    frame = journal if since is None else journal.filter(this_run | (pl.col("start_time") > since))
    if not frame.height:
        return 0
    newest = frame["start_time"].max()
    run_id = f"journal-{coordinator_run_id}"
    staging = store.prepare(run_id, RunType.INCREMENTAL)
    staging = store.write(staging, frame)
    store.sync(staging)
    upper = newest.isoformat() if isinstance(newest, datetime) else None
    record = CommitRecord(
        run_id=run_id, run_type=RunType.INCREMENTAL, window_upper=upper, rows=frame.height
    )
    store.publish(staging, record)
    return frame.height


def _moment(value: object) -> datetime | None:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None
