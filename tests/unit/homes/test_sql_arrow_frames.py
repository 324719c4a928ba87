"""The Arrow-native SQL drivers' batches (ADBC, arrow-odbc, DuckDB) become polars frames of
exactly `batch_size` rows, whatever sizes the driver's batches have: tiny ones (arrow-odbc caps
a batch of wide text columns at a few hundred rows) are gathered, large ones cut; no row is
lost, repeated or reordered, and empty batches add nothing."""

from __future__ import annotations

import polars as pl
import pyarrow as pa
import pytest

from hygge.homes.sql.drivers import arrow_frames


def _batches(sizes: list[int]) -> list[pa.RecordBatch]:
    found, start = [], 0
    for size in sizes:
        ids = list(range(start, start + size))
        found.append(
            pa.record_batch(
                {"id": pa.array(ids, pa.int64()), "name": pa.array([f"n{i}" for i in ids])}
            )
        )
        start += size
    return found


@pytest.mark.parametrize(
    ("sizes", "batch_size", "heights"),
    [
        ([409] * 10, 1000, [1000, 1000, 1000, 1000, 90]),  # small batches gathered
        ([2500], 1000, [1000, 1000, 500]),  # a large one cut
        ([300, 0, 700, 0, 1000], 1000, [1000, 1000]),  # empty ones add nothing
        ([1000, 1000], 1000, [1000, 1000]),  # no empty frame after an exact end
        ([], 1000, []),  # no batch: no frame
        ([0, 0], 1000, []),
        ([7], 1, [1] * 7),
    ],
)
def test_frames_hold_batch_size_rows_in_order(sizes, batch_size, heights):
    frames = list(arrow_frames(iter(_batches(sizes)), batch_size))

    assert [frame.height for frame in frames] == heights
    joined = pl.concat(frames) if frames else pl.DataFrame({"id": []}, schema={"id": pl.Int64})
    assert joined["id"].to_list() == list(range(sum(sizes)))
    if frames:
        assert joined.schema == pl.Schema({"id": pl.Int64, "name": pl.String})
        assert joined["name"].to_list() == [f"n{i}" for i in range(sum(sizes))]


def test_postgres_numerics_keep_their_decimal_type_when_gathered():
    """ADBC's opaque PostgreSQL numerics (text with the column's typmod) are decimals in every
    frame, also one gathered from several batches."""
    opaque = pa.opaque(pa.string(), "numeric", "PostgreSQL")
    typmod = {b"POSTGRESQL:typmod": str((12 << 16) + 2 + 4).encode()}
    schema = pa.schema([pa.field("amount", opaque, metadata=typmod)])
    values = pa.ExtensionArray.from_storage(opaque, pa.array(["1.25", "2.50"]))
    batches = [pa.record_batch([values], schema=schema)] * 3

    frames = list(arrow_frames(iter(batches), 4))

    assert [frame.height for frame in frames] == [4, 2]
    assert all(frame.schema["amount"] == pl.Decimal(12, 2) for frame in frames)
    assert pl.concat(frames)["amount"].cast(pl.String).to_list() == ["1.25", "2.50"] * 3
