"""The home contract: what every home (files, SQL, blob, REST) must do.

A home is done when a subclass of `HomeContract` passes. The subclass provides a `source`
fixture (a `HomeSource`): `add(frame)` puts one more unit of source data (a file, a slice
of a table) in place, `open(batch_size)` returns a fresh home object over it (a fresh object
stands for a fresh process resuming). `round_trip_columns` lists the columns of
`tests.support.data.all_types()` whose type the home must hand back exactly; `capabilities`
is what the home's config declares (its `partitions` decides the partition case). A home
that reads a source without keys in an order of its own (SQL: by every column) names in
`keyless_order` the columns both sides of the round trip are sorted by before comparing.
Reading starts where the window says its partition starts (`Window.partitions[i].start`).
"""

from __future__ import annotations

from typing import ClassVar, Protocol

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from hygge.homes.base import (
    DEFAULT_PARTITION,
    Home,
    HomeCapabilities,
    PartitionSpec,
    Position,
    ReadSpec,
    Window,
)
from hygge.homes.positions import POSITION
from tests.support.data import all_types, orders


class HomeSource(Protocol):
    def add(self, frame: pl.DataFrame) -> None: ...

    def open(self, batch_size: int) -> Home: ...


def rows(count: int, start: int = 0) -> pl.DataFrame:
    """Source rows every home can carry exactly (no temporal columns for text formats)."""
    return orders(count, start=start).select("id", "customer", "amount")


def read_all(home: Home, window: Window) -> list[tuple[pl.DataFrame, Position]]:
    """Every batch of the window's (first) partition, from where it starts."""
    return list(home.read(window, window.partitions[0].start))


class HomeContract:
    """Behaviour every home must show; see the module docstring for what to provide."""

    round_trip_columns: ClassVar[tuple[str, ...]] = ()
    capabilities: ClassVar[HomeCapabilities] = HomeCapabilities()
    keyless_order: ClassVar[tuple[str, ...]] = ()

    @pytest.fixture
    def source(self) -> HomeSource:
        raise NotImplementedError("a home contract subclass provides source")

    def test_reads_every_row_once_in_order_in_bounded_batches(self, source):
        frames = [rows(7), rows(1, start=7), rows(5, start=8)]
        for frame in frames:
            source.add(frame)
        home = source.open(batch_size=3)
        batches = read_all(home, home.open_window(ReadSpec()))
        assert all(0 < batch.height <= 3 for batch, _ in batches)
        assert_frame_equal(pl.concat([b for b, _ in batches]), pl.concat(frames))
        positions = [position.model_dump_json() for _, position in batches]
        assert len(set(positions)) == len(positions)  # every batch moves the position on

    def test_reading_from_any_reported_position_yields_exactly_the_remaining_rows(self, source):
        frames = [rows(5), rows(4, start=5), rows(6, start=9)]
        for frame in frames:
            source.add(frame)
        home = source.open(batch_size=2)
        window = home.open_window(ReadSpec())
        everything = pl.concat(frames)
        seen = 0
        for batch, position in read_all(home, window):
            seen += batch.height
            resumed_position = POSITION.validate_json(position.model_dump_json())
            rest = [b for b, _ in source.open(batch_size=2).read(window, resumed_position)]
            remaining = pl.concat(rest) if rest else everything.clear()
            assert_frame_equal(remaining, everything.slice(seen))

    def test_window_fixed_at_open_ignores_data_added_later(self, source):
        source.add(rows(4))
        home = source.open(batch_size=10)
        window = home.open_window(ReadSpec())
        source.add(rows(3, start=4))
        batches = read_all(source.open(batch_size=10), window)
        assert_frame_equal(pl.concat([b for b, _ in batches]), rows(4))

    def test_an_empty_source_reads_nothing(self, source):
        # no row: nothing, or (a SQL home) one batch of none carrying the source's columns, so a
        # store that creates its table from the data creates it empty
        home = source.open(batch_size=10)
        batches = read_all(home, home.open_window(ReadSpec()))
        assert len(batches) <= 1 and all(batch.height == 0 for batch, _ in batches)

    def test_supported_types_round_trip_exactly(self, source):
        frame = all_types().select(self.round_trip_columns)
        source.add(frame)
        home = source.open(batch_size=2)
        batches = read_all(home, home.open_window(ReadSpec()))
        got = pl.concat([b for b, _ in batches])
        if self.keyless_order:
            got, frame = got.sort(self.keyless_order), frame.sort(self.keyless_order)
        assert_frame_equal(got, frame)

    def test_partitions_read_each_on_its_own_add_up_to_the_whole(self, source):
        frames = [rows(5), rows(6, start=5)]
        for frame in frames:
            source.add(frame)
        halves = [
            PartitionSpec(id="low", column="id", upper=4),
            PartitionSpec(id="high", column="id", lower=4),
        ]
        window = source.open(batch_size=2).open_window(ReadSpec(partitions=halves))
        expected = ["low", "high"] if self.capabilities.partitions else [DEFAULT_PARTITION]
        assert [part.id for part in window.partitions] == expected
        parts = [
            pl.concat([b for b, _ in source.open(batch_size=2).read(window, part.start, part.id)])
            for part in window.partitions
        ]
        assert_frame_equal(pl.concat(parts).sort("id"), pl.concat(frames))
        if self.capabilities.partitions:
            assert parts[0]["id"].max() < parts[1]["id"].min()

    def test_a_split_window_reads_each_partition_on_its_own_adding_up_to_the_whole(self, source):
        frames = [rows(3), rows(4, start=3), rows(2, start=7), rows(5, start=9)]
        for frame in frames:
            source.add(frame)
        window = source.open(batch_size=2).open_window(ReadSpec(parallel=3))
        expected = 3 if self.capabilities.splits_window else 1
        assert len(window.partitions) == expected
        parts = [
            pl.concat([b for b, _ in source.open(batch_size=2).read(window, part.start, part.id)])
            for part in window.partitions
        ]
        assert_frame_equal(pl.concat(parts).sort("id"), pl.concat(frames))
        ids = [set(part["id"]) for part in parts]
        assert all(not (a & b) for i, a in enumerate(ids) for b in ids[i + 1 :])

    def test_a_split_window_resumes_a_partition_at_its_reported_position(self, source):
        for start in (0, 4, 8, 12):
            source.add(rows(4, start=start))
        window = source.open(batch_size=3).open_window(ReadSpec(parallel=2))
        part = window.partitions[-1]
        batches = list(source.open(batch_size=3).read(window, part.start, part.id))
        first, after = batches[0]
        rest = list(source.open(batch_size=3).read(window, after, part.id))
        resumed = pl.concat([first, *(b for b, _ in rest)])
        assert_frame_equal(resumed, pl.concat([b for b, _ in batches]))
