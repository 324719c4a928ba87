"""A merge into a Delta table deletes the rows the source marks deleted: a source column
`__rowMarker__` (0 insert, 1 update, 2 delete, 4 upsert, as Open Mirroring takes it) is an
instruction, not data. Through `hygge go`'s engine, and a crash mid-publish."""

from __future__ import annotations

import polars as pl
import pytest

from hygge.faults import reset_faults
from hygge.types import RunStatus, RunType
from tests.contract.test_delta_store_contract import read_delta
from tests.integration.test_delta_store import workspace
from tests.support.data import content_hash, orders
from tests.support.workspace import land, run

pytest.importorskip("deltalake", reason="the delta extra (pip install 'hygge-el[delta]')")
MARKER = "__rowMarker__"


def _marked(frame: pl.DataFrame, marker: int) -> pl.DataFrame:
    return frame.with_columns(pl.lit(marker, dtype=pl.Int32).alias(MARKER))


def test_rows_marked_2_are_deleted_the_others_upserted_and_the_marker_is_not_written(tmp_path):
    table = workspace(tmp_path, "merge")
    land(tmp_path, "orders", "a", _marked(orders(6), 0))
    assert run(tmp_path).ok
    later = pl.col("updated_at").dt.offset_by("1h")
    gone = _marked(orders(2, start=1).with_columns(later), 2)  # ids 1, 2 deleted
    changed = _marked(orders(1, start=3).with_columns(later, customer=pl.lit("x")), 1)
    new = _marked(orders(2, start=6).with_columns(later), 4)  # ids 6, 7
    land(tmp_path, "orders", "b", pl.concat([gone, changed, new]))

    (result,) = run(tmp_path).results

    assert result.status is RunStatus.SUCCESS, result.message
    merged = read_delta(table)
    assert merged is not None and MARKER not in merged.columns
    expected = pl.concat([orders(1), changed.drop(MARKER), orders(2, start=4), new.drop(MARKER)])
    assert sorted(merged["id"].to_list()) == [0, 3, 4, 5, 6, 7]
    assert content_hash(merged) == content_hash(expected)


def test_a_first_merge_into_no_table_skips_the_deleted_rows(tmp_path):
    table = workspace(tmp_path, "merge")
    land(
        tmp_path, "orders", "a", pl.concat([_marked(orders(3), 4), _marked(orders(1, start=9), 2)])
    )

    assert run(tmp_path).ok

    merged = read_delta(table)
    assert merged is not None and MARKER not in merged.columns
    assert sorted(merged["id"].to_list()) == [0, 1, 2]


def test_a_delete_after_an_upsert_of_one_key_in_one_run_leaves_it_deleted(tmp_path):
    table = workspace(tmp_path, "merge")
    land(tmp_path, "orders", "a", _marked(orders(3), 0))
    assert run(tmp_path).ok
    later = pl.col("updated_at").dt.offset_by("1h")
    land(tmp_path, "orders", "b", _marked(orders(1, start=1).with_columns(later), 4))
    land(tmp_path, "orders", "c", _marked(orders(1, start=1).with_columns(later), 2))

    assert run(tmp_path).ok

    assert sorted(read_delta(table)["id"].to_list()) == [0, 2]  # type: ignore[index]


def test_a_marker_value_that_means_nothing_fails_naming_it_and_changes_nothing(tmp_path):
    table = workspace(tmp_path, "merge")
    land(tmp_path, "orders", "a", _marked(orders(3), 0))
    assert run(tmp_path).ok
    later = pl.col("updated_at").dt.offset_by("1h")
    land(tmp_path, "orders", "b", _marked(orders(1, start=1).with_columns(later), 3))

    (result,) = run(tmp_path).results

    assert result.status is RunStatus.FAIL
    assert "__rowMarker__ holds [3]" in (result.message or ""), result.message
    assert sorted(read_delta(table)["id"].to_list()) == [0, 1, 2]  # type: ignore[index]


def test_a_crash_mid_publish_then_a_rerun_deletes_once_and_doubles_nothing(tmp_path, monkeypatch):
    table = workspace(tmp_path, "merge")
    land(tmp_path, "orders", "a", _marked(orders(5), 0))
    assert run(tmp_path).ok
    later = pl.col("updated_at").dt.offset_by("1h")
    land(tmp_path, "orders", "b", _marked(orders(2, start=0).with_columns(later), 2))
    monkeypatch.setenv("HYGGE_FAULT", "during_publish:raise")
    reset_faults()
    assert not run(tmp_path).ok
    monkeypatch.delenv("HYGGE_FAULT")

    assert run(tmp_path).ok
    assert run(tmp_path).ok  # nothing new: nothing changes

    merged = read_delta(table)
    assert merged is not None and sorted(merged["id"].to_list()) == [2, 3, 4]
    assert content_hash(merged) == content_hash(orders(3, start=2))


def test_a_table_that_holds_a_marker_column_keeps_it_as_data(tmp_path):
    # An older run wrote __rowMarker__ as a column of the table: it stays data, never deletes.
    table = workspace(tmp_path, "merge")
    land(tmp_path, "orders", "a", _marked(orders(3), 0))
    assert run(tmp_path, run_type=RunType.INCREMENTAL).ok  # an append writes it as data
    later = pl.col("updated_at").dt.offset_by("1h")
    land(tmp_path, "orders", "b", _marked(orders(1, start=1).with_columns(later), 2))

    assert run(tmp_path).ok

    merged = read_delta(table)
    assert merged is not None and sorted(merged["id"].to_list()) == [0, 1, 2]
    assert merged.filter(pl.col("id") == 1)[MARKER].to_list() == [2]
