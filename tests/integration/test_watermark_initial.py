"""What `watermark.initial` does, as the README says: it bounds a run only while no watermark
is stored (the first incremental run, or the first after a reset); full_drop ignores it."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from hygge.config import load_workspace
from hygge.types import RunType
from tests.support.data import content_hash
from tests.support.workspace import land, read_lake, run, state_of, write_workspace

FLOW = """\
home: {type: parquet, path: landing}
store: {type: parquet, path: lake}
run_type: incremental
watermark: {column: at, initial: 20}
entities: [events]
"""


def events(ids: list[int], stamps: list[int]) -> pl.DataFrame:
    return pl.DataFrame({"id": ids, "at": stamps})


def _landed(tmp_path: Path) -> Path:
    root = write_workspace(tmp_path / "ws", {"feed": FLOW})
    land(root, "events", "a", events([1, 2, 3], [10, 20, 30]))
    return root


def test_initial_is_exclusive_on_the_first_incremental_run(tmp_path):
    root = _landed(tmp_path)

    run(root)

    assert content_hash(read_lake(root, "events")) == content_hash(events([3], [30]))


def test_a_full_drop_ignores_initial_and_stores_the_highest_value_it_loaded(tmp_path):
    root = _landed(tmp_path)

    run(root, run_type=RunType.FULL_DROP)

    assert read_lake(root, "events").height == 3
    stored = state_of(load_workspace(root)).get_watermark("feed", "events")
    assert stored is not None and stored.value == 30


def test_initial_has_no_effect_once_a_watermark_is_stored(tmp_path):
    root = _landed(tmp_path)
    run(root, run_type=RunType.FULL_DROP)  # stores 30
    land(root, "events", "b", events([4, 5], [25, 40]))

    run(root)

    assert sorted(read_lake(root, "events")["id"]) == [1, 2, 3, 5]


def test_after_a_reset_initial_bounds_the_next_incremental_run_again(tmp_path):
    root = _landed(tmp_path)
    run(root, run_type=RunType.FULL_DROP)  # the store holds ids 1, 2, 3
    state_of(load_workspace(root)).clear_watermark("feed", "events")  # as `hygge reset` does
    land(root, "events", "b", events([4, 5], [15, 25]))

    run(root)  # every file again, rows above initial (20) only, appended

    assert sorted(read_lake(root, "events")["id"]) == [1, 2, 3, 3, 5]
