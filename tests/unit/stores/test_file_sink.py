"""FileStore.sink: a lazy frame staged as the files `write` would stage, or nothing at all."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import polars as pl
import pytest

from hygge.io.atomic import temp_name
from hygge.stores.artefact_names import staged_name
from hygge.stores.file_sink import SinkClosedError
from hygge.stores.file_store import FileStore
from hygge.stores.files import LocalStoreConfig
from hygge.types import RunType
from tests.support.data import content_hash, orders, split_rows
from tests.unit.stores.test_file_store import names, open_store


def staged_files(store: FileStore, location: str) -> list[str]:
    return sorted(p.name for p in Path(location).iterdir() if p.name != "_hygge_staging_open")


def test_a_sunk_frame_is_staged_as_the_files_writes_would_make(tmp_path: Path) -> None:
    sunk_store, written_store = open_store(tmp_path, batch_size=5), open_store(tmp_path, "other")
    frame, seen = orders(23), []
    staging = sunk_store.prepare("run-1", RunType.FULL_DROP).model_copy(update={"attempt_id": "a1"})

    staging = sunk_store.sink(staging, frame.lazy(), seen.append)
    written = written_store.prepare("run-2", RunType.FULL_DROP).model_copy(
        update={"attempt_id": "a1"}
    )
    for part in split_rows(frame, 5):
        written = written_store.write(written, part)

    assert seen == [5, 5, 5, 5, 3]
    assert staging.artefacts == written.artefacts and staging.next_sequence == 5
    assert staged_files(sunk_store, staging.location) == sorted(staging.artefacts)
    sunk_store.sync(staging)
    sunk_store.publish(staging)
    lake = pl.concat(
        pl.read_parquet(tmp_path / "lake" / "orders" / n)
        for n in names(tmp_path / "lake" / "orders")
    )
    assert content_hash(lake) == content_hash(frame)


def test_a_sunk_frame_without_rows_stages_nothing(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    staging = store.prepare("run-1", RunType.FULL_DROP)

    after = store.sink(staging, orders(3).lazy().filter(pl.col("id") < 0), lambda rows: None)

    assert after.artefacts == [] and after.next_sequence == staging.next_sequence
    assert staged_files(store, staging.location) == []


def test_a_failing_sink_leaves_no_file_in_staging(tmp_path: Path) -> None:
    store = open_store(tmp_path, batch_size=2)
    staging = store.prepare("run-1", RunType.FULL_DROP)
    failing = orders(6).lazy().with_columns(pl.col("customer").cast(pl.Int64, strict=True))

    with pytest.raises(pl.exceptions.PolarsError):
        store.sink(staging, failing, lambda rows: None)

    assert staged_files(store, staging.location) == []


def test_a_partition_sinks_its_own_sequences(tmp_path: Path) -> None:
    store = open_store(tmp_path, batch_size=4)
    run = store.prepare("run-1", RunType.FULL_DROP)
    part = run.model_copy(update={"partition": "p1", "next_sequence": 1, "sequence_step": 3})

    staged = store.sink(part, orders(10).lazy(), lambda rows: None)

    sequences = [int(name.split(".")[0]) for name in staged.artefacts]
    assert sequences == [1, 4, 7] and staged.next_sequence == 10


def test_a_temporary_file_a_late_writer_leaves_goes_at_the_next_discard(tmp_path: Path) -> None:
    # polars may open a file it was named after a failed sink returned, later than the sink's
    # cleanup waits; such a file is unlisted, and the resumed run's discard removes it
    store = open_store(tmp_path, batch_size=2)
    staging = store.prepare("run-1", RunType.FULL_DROP)
    name = staged_name(store.naming.name(staging, 0), staging.attempt_id)
    (Path(staging.location) / temp_name(name)).write_bytes(b"PAR1 half a file")

    store.discard_unlisted(staging)

    assert staged_files(store, staging.location) == []


def test_a_name_asked_for_after_the_sink_returned_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(tmp_path, batch_size=2)
    staging = store.prepare("run-1", RunType.FULL_DROP)
    providers: list[Callable[[Any], Path]] = []
    partition_by = pl.PartitionBy

    def keeping_the_provider(*args: Any, **kwargs: Any) -> Any:
        providers.append(kwargs["file_path_provider"])
        return partition_by(*args, **kwargs)

    monkeypatch.setattr(pl, "PartitionBy", keeping_the_provider)
    staged = store.sink(staging, orders(4).lazy(), lambda rows: None)

    with pytest.raises(SinkClosedError):
        providers[0](SimpleNamespace(index_in_partition=2))
    assert staged_files(store, staging.location) == sorted(staged.artefacts)


@pytest.mark.parametrize(
    "reports", [pytest.param(True, id="reported"), pytest.param(False, id="footers")]
)
def test_each_sunk_file_counts_its_rows_whether_polars_reports_them_or_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reports: bool
) -> None:
    monkeypatch.setattr("hygge.stores.file_sink.REPORTS_ROWS", reports)
    store, seen = open_store(tmp_path, batch_size=4), []
    staging = store.prepare("run-1", RunType.FULL_DROP)

    staged = store.sink(staging, orders(10).filter(pl.col("id") != 3).lazy(), seen.append)

    assert seen == [4, 4, 1]
    rows = [pl.read_parquet(Path(staged.location) / name).height for name in staged.artefacts]
    assert rows == seen


def test_a_bounded_chunk_without_a_batch_size_is_one_plain_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, written_store = open_store(tmp_path), open_store(tmp_path, "other")
    staging = store.prepare("run-1", RunType.FULL_DROP).model_copy(update={"attempt_id": "a1"})
    monkeypatch.setattr(pl, "PartitionBy", None)  # a plain sink_parquet, no file cutting
    frame, seen = orders(23), []

    staged = store.sink(staging, frame.lazy(), seen.append, chunk_rows=1_000)

    written = written_store.prepare("run-2", RunType.FULL_DROP).model_copy(
        update={"attempt_id": "a1"}
    )
    written = written_store.write(written, frame)  # the batch path's name for the same file
    assert seen == [23] and staged.artefacts == written.artefacts
    assert staged.next_sequence == staging.next_sequence + staging.sequence_step
    assert staged_files(store, staged.location) == staged.artefacts
    data = pl.read_parquet(Path(staged.location) / staged.artefacts[0])
    assert content_hash(data) == content_hash(frame)


def test_a_bounded_chunk_with_a_batch_size_is_cut_at_it(tmp_path: Path) -> None:
    store, seen = open_store(tmp_path, batch_size=10), []
    staging = store.prepare("run-1", RunType.FULL_DROP)

    staged = store.sink(staging, orders(23).lazy(), seen.append, chunk_rows=1_000)

    assert seen == [10, 10, 3] and len(staged.artefacts) == 3


def test_an_unbounded_chunk_is_cut_at_the_stores_rows_per_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(LocalStoreConfig, "rows_per_batch", lambda self: 6)  # 100,000 really
    store, seen = open_store(tmp_path), []
    staging = store.prepare("run-1", RunType.FULL_DROP)

    staged = store.sink(staging, orders(23).lazy(), seen.append, chunk_rows=None)

    assert seen == [6, 6, 6, 5] and len(staged.artefacts) == 4


@pytest.mark.parametrize("fails", [True, False], ids=["failing", "no rows"])
def test_a_plain_sink_that_fails_or_writes_no_rows_stages_nothing(
    tmp_path: Path, fails: bool
) -> None:
    store = open_store(tmp_path)
    staging = store.prepare("run-1", RunType.FULL_DROP)
    frame = orders(6).lazy()
    if fails:
        frame = frame.with_columns(pl.col("customer").cast(pl.Int64, strict=True))
        with pytest.raises(pl.exceptions.PolarsError):
            store.sink(staging, frame, lambda count: None, chunk_rows=10)
    else:
        after = store.sink(staging, frame.filter(pl.col("id") < 0), lambda n: None, chunk_rows=10)
        assert after.artefacts == [] and after.next_sequence == staging.next_sequence

    assert staged_files(store, staging.location) == []
