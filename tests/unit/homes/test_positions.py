"""Positions are a tagged union; checkpoints keep one progress entry per partition."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from hygge.engine.models import Checkpoint, PartitionProgress
from hygge.homes import FilePosition, KeysetPosition, PageTokenPosition, Window
from hygge.homes.positions import POSITION
from hygge.stores.base import Staging

OLD_CHECKPOINT = {
    "entity_run_id": "run-1",
    "flow": "shop",
    "entity": "orders",
    "run_type": "incremental",
    "started_at": "2026-01-01T00:00:00Z",
    "window": {"files": []},
    "position": {"file_index": 2, "row_offset": 100, "cursor": {}},
    "staging": {"run_id": "run-1", "run_type": "incremental", "location": "x"},
    "rows": 7,
    "chunks": 3,
    "done": False,
    "lock_owner": "owner-1",
}


@pytest.mark.parametrize(
    "position",
    [
        pytest.param(FilePosition(file_index=3, row_offset=10, byte_offset=512), id="file"),
        pytest.param(KeysetPosition(values={"updated_at": "2024-01-01", "id": 7}), id="keyset"),
        pytest.param(PageTokenPosition(token="next-page"), id="page"),
    ],
)
def test_every_kind_of_position_round_trips_through_json(position):
    assert POSITION.validate_json(position.model_dump_json()) == position


def test_a_position_without_a_kind_is_an_older_file_position():
    loaded = POSITION.validate_python({"file_index": 2, "row_offset": 5, "cursor": {}})
    assert loaded == FilePosition(file_index=2, row_offset=5)


def test_an_untagged_position_with_a_cursor_is_refused():
    with pytest.raises(ValidationError, match="needs a kind"):
        POSITION.validate_python({"file_index": 0, "cursor": {"token": "x"}})


@pytest.mark.parametrize(
    "saved",
    [
        pytest.param('{"kind": "file", "file_index": 0, "row_offset": -1}', id="negative-offset"),
        pytest.param('{"kind": "cursor", "token": "x"}', id="unknown-kind"),
        pytest.param('{"kind": "page"}', id="page-without-token"),
    ],
)
def test_a_damaged_saved_position_is_refused_although_its_validator_is_built_late(saved):
    with pytest.raises(ValidationError):
        POSITION.validate_json(saved)


def test_an_older_checkpoint_loads_its_position_as_the_one_partition():
    checkpoint = Checkpoint.model_validate(OLD_CHECKPOINT)
    assert checkpoint.partitions == [
        PartitionProgress(position=FilePosition(file_index=2, row_offset=100), rows=7, chunks=3)
    ]
    assert checkpoint.position == FilePosition(file_index=2, row_offset=100)
    assert checkpoint.attempt_id == "owner-1"


def test_partitions_advance_one_at_a_time_and_the_run_is_done_with_the_last():
    checkpoint = Checkpoint(
        entity_run_id="run-1",
        flow="shop",
        entity="orders",
        run_type="full_drop",
        started_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        window=Window(),
        partitions=[PartitionProgress(id="a"), PartitionProgress(id="b")],
        staging=Staging(run_id="run-1", run_type="full_drop", location="x"),
        attempt_id="owner-1",
    )
    first = checkpoint.advanced(FilePosition(row_offset=4), 4, done=True)
    checkpoint = checkpoint.model_copy(update={"partitions": first})
    assert checkpoint.partition.id == "b"
    assert [(p.id, p.rows, p.done) for p in checkpoint.partitions] == [
        ("a", 4, True),
        ("b", 0, False),
    ]
    second = checkpoint.advanced(FilePosition(row_offset=2), 2, done=True)
    assert all(p.done for p in second) and [p.rows for p in second] == [4, 2]
    restored = Checkpoint.model_validate_json(
        checkpoint.model_copy(update={"partitions": second}).model_dump_json()
    )
    assert restored.partitions == second
