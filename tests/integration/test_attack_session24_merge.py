"""Session 24's attack on Delta merges, as a hostile user: `__rowMarker__` of odd types and
values, merge keys with nulls, NaN, duplicates, two columns, a backtick, a case other than the
table's, and keys an adopted table lacks."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from hygge.errors import DataError
from hygge.types import RunType
from tests.contract.store_contract import run as publish_run
from tests.integration.test_delta_store import open_store

deltalake = pytest.importorskip("deltalake", reason="the delta extra")


def _table(root: Path) -> str:
    return str(root / "lake" / "orders")


# -- __rowMarker__ of odd types ----------------------------------------------------------------


def _merge(root: Path, marker: pl.Series) -> list[tuple[object, ...]]:
    store = open_store(root, key_columns=["id"])
    publish_run(store, [pl.DataFrame({"id": [1, 2, 3], "v": [1, 2, 3]})], RunType.MERGE, "r1")
    source = pl.DataFrame({"id": [1, 2, 3], "v": [9, 9, 9], "__rowMarker__": marker})
    publish_run(open_store(root, key_columns=["id"]), [source], RunType.MERGE, "r2")
    return pl.read_delta(_table(root)).sort("id").rows()


def test_a_boolean_marker_is_refused_rather_than_deleting_its_true_rows(tmp_path):
    # True is 1 (update) to Python, but the merge's `marker = 2` casts 2 to true: deletes.
    with pytest.raises(DataError, match=r"__rowMarker__ is bool, not a number"):
        _merge(tmp_path, pl.Series([True, False, True]))
    assert pl.read_delta(_table(tmp_path)).sort("id").rows() == [(1, 1), (2, 2), (3, 3)]


def test_a_string_marker_is_refused_naming_its_type(tmp_path):
    with pytest.raises(DataError, match=r"__rowMarker__ is (string|large_string)"):
        _merge(tmp_path, pl.Series(["2", "1", "4"]))
    assert pl.read_delta(_table(tmp_path)).height == 3


@pytest.mark.parametrize(
    "marker",
    [
        pl.Series([2.0, 1.0, 4.0]),
        pl.Series([2, 1, 4], dtype=pl.Int8),
        pl.Series([2, 1, 4], dtype=pl.UInt8),
        pl.Series(["2", "1", "4"]).cast(pl.Decimal(5, 0)),
    ],
    ids=["float", "int8", "uint8", "decimal"],
)
def test_numeric_markers_of_any_width_delete_only_the_rows_marked_2(tmp_path, marker):
    assert _merge(tmp_path, marker) == [(2, 9), (3, 9)]


@pytest.mark.parametrize(("values", "shown"), [([2.5, 1.0, 4.0], "2.5"), ([2, None, 4], "None")])
def test_a_fractional_or_null_marker_is_refused_naming_it(tmp_path, values, shown):
    with pytest.raises(DataError, match=rf"holds \[{shown}\]"):
        _merge(tmp_path, pl.Series(values))
    assert pl.read_delta(_table(tmp_path)).height == 3


def test_null_and_duplicate_merge_keys_stay_one_row_each_run_after_run(tmp_path):
    source = pl.DataFrame({"id": [None, 1, None, 2], "v": [1, 2, 3, 4]})
    publish_run(open_store(tmp_path, key_columns=["id"]), [source], RunType.MERGE, "r1")
    again = source.with_columns(v=pl.col("v") * 10)
    publish_run(open_store(tmp_path, key_columns=["id"]), [again], RunType.MERGE, "r2")

    assert pl.read_delta(_table(tmp_path)).sort("id").rows() == [(None, 30), (1, 20), (2, 40)]


def test_a_merge_into_an_adopted_table_keeps_the_columns_the_source_lacks(tmp_path):
    theirs = pl.DataFrame({"id": [1, 2, 3], "a": ["x", "y", "z"], "extra": [10, 20, 30]})
    deltalake.write_deltalake(_table(tmp_path), theirs.to_arrow())
    source = pl.DataFrame({"id": [2, 4], "a": ["Y", "W"]})
    store = open_store(tmp_path, adopt_existing=True, key_columns=["id"])
    publish_run(store, [source], RunType.MERGE, "r1")

    back = pl.read_delta(_table(tmp_path)).sort("id").rows()
    assert back == [(1, "x", 10), (2, "Y", 20), (3, "z", 30), (4, "W", None)]


# -- merge keys --------------------------------------------------------------------------------


@pytest.mark.parametrize("marked", [False, True])
def test_a_merge_on_two_key_columns_with_nulls_updates_each_row_once(tmp_path, marked):
    # The predicate was `a IS NOT DISTINCT FROM a AND b IS …`, which the SQL parser reads as
    # `a IS NOT DISTINCT FROM (a AND b) …`: every merge on two keys into a table failed.
    source = pl.DataFrame({"a": [1, None, None, 1], "b": [None, None, 1, 2], "v": [1, 2, 3, 4]})
    store = open_store(tmp_path, key_columns=["a", "b"])
    publish_run(store, [source], RunType.MERGE, "r1")
    again = source.with_columns(v=pl.col("v") * 10)
    if marked:
        again = again.with_columns(__rowMarker__=pl.Series([4, 2, 1, 2]))
    publish_run(open_store(tmp_path, key_columns=["a", "b"]), [again], RunType.MERGE, "r2")

    back = sorted(pl.read_delta(_table(tmp_path)).rows(), key=str)
    if marked:
        assert back == sorted([(1, None, 10), (None, 1, 30)], key=str)
    else:
        assert back == sorted([(1, None, 10), (None, None, 20), (None, 1, 30), (1, 2, 40)], key=str)


def test_a_merge_of_a_column_named_with_a_backtick_is_refused_naming_it(tmp_path):
    source = pl.DataFrame({"id": [1, 2], "v`x": [1, 2]})
    store = open_store(tmp_path, key_columns=["id"])
    publish_run(store, [source], RunType.MERGE, "r1")  # a first merge is a plain write

    with pytest.raises(DataError, match=r"column 'v`x' has a backtick"):
        publish_run(open_store(tmp_path, key_columns=["id"]), [source], RunType.MERGE, "r2")
    assert pl.read_delta(_table(tmp_path)).height == 2


def test_a_merge_key_the_adopted_table_lacks_is_refused_naming_it(tmp_path):
    deltalake.write_deltalake(_table(tmp_path), pl.DataFrame({"x": [1]}).to_arrow())
    store = open_store(tmp_path, key_columns=["id"], adopt_existing=True)

    with pytest.raises(DataError, match=r"key_columns \['id'\] are not columns of the table"):
        publish_run(store, [pl.DataFrame({"id": [1], "x": [2]})], RunType.MERGE, "r1")
    assert pl.read_delta(_table(tmp_path)).rows() == [(1,)]


@pytest.mark.parametrize("run_type", [RunType.INCREMENTAL, RunType.MERGE])
def test_a_column_in_another_case_than_the_tables_is_refused_naming_both(tmp_path, run_type):
    # Was delta-rs' bare Exception ("Duplicate field name (case-insensitive)") at publish.
    deltalake.write_deltalake(_table(tmp_path), pl.DataFrame({"ID": [1], "v": [1]}).to_arrow())
    store = open_store(tmp_path, key_columns=["id"], adopt_existing=True)

    with pytest.raises(
        DataError, match=r"column 'id' of this run's data is the table's column 'ID'"
    ):
        publish_run(store, [pl.DataFrame({"id": [2], "v": [2]})], run_type, "r1")
    assert pl.read_delta(_table(tmp_path)).rows() == [(1, 1)]
    publish_run(open_store(tmp_path, key_columns=["ID"], adopt_existing=True),
                [pl.DataFrame({"ID": [2], "v": [2]})], run_type, "r2")  # fmt: skip
    assert sorted(pl.read_delta(_table(tmp_path)).rows()) == [(1, 1), (2, 2)]


def test_nan_merge_keys_match_each_other_as_one_key(tmp_path):
    source = pl.DataFrame({"k": [float("nan"), 1.0, float("nan")], "v": [1, 2, 3]})
    for run_id in ("r1", "r2"):
        publish_run(open_store(tmp_path, key_columns=["k"]), [source], RunType.MERGE, run_id)

    back = pl.read_delta(_table(tmp_path)).sort("v").rows()
    assert len(back) == 2 and back[0] == (1.0, 2) and back[1][1] == 3
