"""The engine on the blob state: an attempt whose lease another run took mid-chunk is fenced
out (it publishes nothing, and says which attempt runs the entity now); a resumed run finishes
exactly once."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from hygge.config import load_workspace
from hygge.engine.events import EntityProgress, RunEvent
from hygge.engine.models import EntityTask
from hygge.engine.plan import Selection, plan_run
from hygge.engine.runner import run_entity
from hygge.engine.steps import ChunkBudget
from hygge.state.blob import BlobStateBackend
from hygge.storage.blob import container_client
from hygge.types import RunStatus
from tests.support.data import content_hash, orders
from tests.support.workspace import land, read_lake, write_workspace

pytestmark = pytest.mark.azurite

FLOW = """\
home: {type: parquet, path: landing, batch_size: 7}
store: {type: parquet, path: lake, batch_size: 10}
run_type: full_drop
entities: [orders]
"""


@pytest.fixture
def open_state(azurite, blob_container):
    prefix = f"s/{uuid.uuid4().hex[:8]}"

    def open_(host: str) -> BlobStateBackend:
        client = container_client(None, blob_container, connection_string=azurite.connection_string)
        return BlobStateBackend(client, prefix, host=host)

    return open_


def _task(root: Path) -> EntityTask:
    write_workspace(root, {"shop": FLOW})
    land(root, "orders", "a", orders(30))
    [task] = plan_run(load_workspace(root), Selection()).tasks
    return task


def test_a_run_whose_lease_is_taken_mid_chunk_is_fenced_out_and_publishes_nothing(
    tmp_path, open_state
):
    task, state, other = _task(tmp_path / "ws"), open_state("here"), open_state("far")
    meddled: list[bool] = []

    def take_over(event: RunEvent) -> None:
        if isinstance(event, EntityProgress) and event.rows and not meddled:
            meddled.append(True)
            other.remove_lock("shop", "orders", force=True)  # breaks the lease, deletes it
            other.acquire_lock("shop", "orders", "second-attempt")

    result = run_entity(task, state, emit=take_over, budget=ChunkBudget(max_rows=1_000))

    assert result.status is RunStatus.FAIL and result.error_type == "EntityLockedError"
    message = result.message or ""
    assert "was fenced out: attempt second-attempt" in message
    assert "Nothing of this attempt was published" in message
    assert read_lake(tmp_path / "ws", "orders").is_empty()
    assert state.get_lock("shop", "orders").owner == "second-attempt"  # type: ignore[union-attr]
    [newest] = state.read_journal(limit=1)
    assert newest.message == message


def test_a_run_on_blob_state_moves_everything_once_and_journals_it(tmp_path, open_state):
    task, state = _task(tmp_path / "ws"), open_state("here")

    result = run_entity(task, state, budget=ChunkBudget(max_rows=10))

    assert result.status is RunStatus.SUCCESS, result.message
    assert content_hash(read_lake(tmp_path / "ws", "orders")) == content_hash(orders(30))
    assert state.list_locks() == {} and state.list_checkpoints() == {}
    [row] = state.read_journal()
    assert (row.status, row.row_count) == ("success", 30)
