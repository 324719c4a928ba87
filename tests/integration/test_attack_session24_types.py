"""Session 24's attack on the Delta store with polars types Delta has no twin for (fixed-size
arrays, half floats, 128-bit integers) and nested types (a list of structs of strings, a
struct holding a zone-less timestamp): each lands readable, run after run, or is refused
naming the column when staged."""

from __future__ import annotations

import datetime as dt
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


def _twice(root: Path, frame: pl.DataFrame) -> pl.DataFrame:
    publish_run(open_store(root), [frame], RunType.FULL_DROP, "r1")
    publish_run(open_store(root), [frame], RunType.INCREMENTAL, "r2")
    return pl.read_delta(_table(root))


def test_a_fixed_size_array_lands_as_a_list_polars_reads_back(tmp_path):
    # Its files held a fixed-size list the log calls a list: pl.read_delta failed on them.
    frame = pl.DataFrame({"a": pl.Series([[1, 2], [3, 4]], dtype=pl.Array(pl.Int64, 2))})
    back = _twice(tmp_path, frame)
    assert back.schema["a"] == pl.List(pl.Int64)
    assert back["a"].to_list() == [[1, 2], [3, 4]] * 2


def test_a_half_float_lands_as_a_float(tmp_path):
    # Was delta-rs' bare Exception ("Invalid data type for Delta Lake: Float16").
    back = _twice(tmp_path, pl.DataFrame({"f": pl.Series([1.5, None], dtype=pl.Float16)}))
    assert back.schema["f"] == pl.Float32
    assert back["f"].to_list() == [1.5, None] * 2


@pytest.mark.parametrize("dtype", [pl.Int128, pl.UInt128])
def test_a_128_bit_integer_is_refused_naming_the_column_and_a_cast(tmp_path, dtype):
    # Was pyarrow's "Invalid or unsupported format string: '_pli128'".
    store = open_store(tmp_path)
    staging = store.prepare("r1", RunType.FULL_DROP)
    with pytest.raises(DataError, match=r"column big is a U?Int128.*cast it to Int64 or a decimal"):
        store.write(staging, pl.DataFrame({"big": pl.Series([1], dtype=dtype)}))
    store.abort(staging)


def test_a_list_of_structs_of_strings_takes_the_next_incremental(tmp_path):
    # The table's list<struct<b: string>> was compared with the data's large_string inside
    # the struct: "does not cast without loss", every incremental after the first run.
    frame = pl.DataFrame({"id": [1, 2], "l": [[{"a": 1, "b": "x"}], []]})
    back = _twice(tmp_path, frame)
    assert back.sort("id")["l"].to_list() == [[{"a": 1, "b": "x"}], [{"a": 1, "b": "x"}], [], []]


def test_a_struct_holding_a_zoneless_timestamp_takes_a_full_drop_onto_an_older_table(tmp_path):
    # The timestampNtz feature was looked for among top-level columns only: the staged files
    # were committed to a table without it, which delta-rs refused.
    publish_run(open_store(tmp_path), [pl.DataFrame({"id": [1]})], RunType.FULL_DROP, "r1")
    frame = pl.DataFrame({"id": [2], "s": [{"t": dt.datetime(2020, 1, 1)}]})
    publish_run(open_store(tmp_path), [frame], RunType.FULL_DROP, "r2")

    assert pl.read_delta(_table(tmp_path)).rows() == [(2, {"t": dt.datetime(2020, 1, 1)})]
    features = deltalake.DeltaTable(_table(tmp_path)).protocol().writer_features or []
    assert "timestampNtz" in features


def test_a_null_inside_an_adopted_tables_not_null_struct_field_is_refused(tmp_path):
    # Struct fields are compared without their nullability (so a struct of strings takes the
    # next run): a NOT NULL field inside must then send the rows through delta-rs' checks.
    import pyarrow as pa

    inner = pa.struct([pa.field("a", pa.int64(), nullable=False)])
    schema = pa.schema([pa.field("id", pa.int64()), pa.field("s", inner)])
    theirs = pa.table({"id": [1], "s": [{"a": 1}]}, schema)
    deltalake.write_deltalake(_table(tmp_path), theirs)
    rows = pl.DataFrame({"id": [2], "s": [{"a": None}]}, schema={"id": pl.Int64,
                        "s": pl.Struct({"a": pl.Int64})})  # fmt: skip
    from hygge.errors import HyggeError

    with pytest.raises(HyggeError, match=r"(?i)invalid data|null"):
        publish_run(open_store(tmp_path, adopt_existing=True), [rows], RunType.INCREMENTAL, "r1")
    assert pl.read_delta(_table(tmp_path)).rows() == [(1, {"a": 1})]
