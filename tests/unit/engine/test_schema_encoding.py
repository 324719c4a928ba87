"""A checkpoint's schema text: written without pyarrow, read back whoever wrote it."""

from __future__ import annotations

import base64
import datetime as dt
from decimal import Decimal

import polars as pl
import pyarrow as pa

from hygge.engine.batches import decode_schema, encode_schema, same_schema

FRAME = pl.DataFrame(
    {
        "id": [1],
        "name": ["x"],
        "day": [dt.date(2020, 1, 1)],
        "at": pl.Series([dt.datetime(2020, 1, 1)]).dt.replace_time_zone("UTC"),
        "price": pl.Series([Decimal("1.20")]),
        "tags": [[1, 2]],
        "kind": pl.Series(["a"], dtype=pl.Enum(["a", "b"])),
    }
)


def pyarrow_written(frame: pl.DataFrame) -> str:
    """The text earlier versions stored: pyarrow's serialised schema."""
    schema = frame.head(0).to_arrow().schema
    return base64.b64encode(schema.serialize().to_pybytes()).decode("ascii")


def test_an_encoded_schema_decodes_to_the_same_columns():
    assert decode_schema(encode_schema(FRAME)) == FRAME.schema


def test_a_schema_stored_by_an_earlier_version_still_decodes():
    assert decode_schema(pyarrow_written(FRAME)) == FRAME.schema


def test_the_stored_text_is_an_arrow_schema_message_pyarrow_reads():
    read = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(encode_schema(FRAME))))

    assert pl.from_arrow(read.empty_table()).schema == FRAME.schema  # type: ignore[union-attr]


def test_schemas_written_by_either_writer_are_the_same_columns():
    assert same_schema(pyarrow_written(FRAME), encode_schema(FRAME))
    assert not same_schema(encode_schema(FRAME), encode_schema(FRAME.drop("tags")))
