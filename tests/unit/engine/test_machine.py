"""The entity-run state machine: the next step from where a run stands (pure, no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hygge.engine.failures import RunError
from hygge.engine.machine import (
    RETRIES,
    Abort,
    Begin,
    Cancel,
    Commit,
    Done,
    Interrupt,
    MoveChunk,
    Retry,
    Standing,
    next_step,
)
from hygge.engine.models import Checkpoint, EntityResult, PartitionProgress
from hygge.homes import DEFAULT_PARTITION, Window
from hygge.stores import Staging
from hygge.types import RunStatus, RunType

TRANSIENT = RunError(kind="transient", type="TimeoutError", message="slow")
TERMINAL = RunError(kind="terminal", type="DataError", message="bad row")
REFUSED = RunError(
    kind="terminal", type="PublishRefusedError", message="another's table", category="refused"
)


def checkpoint(*, done: bool = False) -> Checkpoint:
    return Checkpoint(
        entity_run_id="r",
        flow="f",
        entity="e",
        run_type=RunType.FULL_DROP,
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
        window=Window(),
        staging=Staging(run_id="r", run_type=RunType.FULL_DROP, location="staging"),
        attempt_id="a",
        done=done,
    )


@pytest.mark.parametrize(
    ("standing", "step"),
    [
        pytest.param(Standing(), Begin(), id="nothing-yet-begins"),
        pytest.param(
            Standing(checkpoint=checkpoint()),
            MoveChunk(partitions=[DEFAULT_PARTITION]),
            id="moving-moves-on",
        ),
        pytest.param(Standing(checkpoint=checkpoint(done=True)), Commit(), id="done-commits"),
        pytest.param(
            Standing(checkpoint=checkpoint(), stop_requested=True), Cancel(), id="stop-cancels"
        ),
        pytest.param(Standing(error=TRANSIENT, tries=1), Retry(after_seconds=1.0), id="retry"),
        pytest.param(Standing(error=TRANSIENT, tries=2), Retry(after_seconds=2.0), id="backoff"),
        pytest.param(
            Standing(error=TRANSIENT, tries=RETRIES), Abort(error=TRANSIENT), id="out-of-tries"
        ),
        pytest.param(Standing(error=TERMINAL, tries=1), Abort(error=TERMINAL), id="terminal"),
        pytest.param(
            Standing(error=TERMINAL, tries=1, saved_phase="publishing"),
            Interrupt(error=TERMINAL),
            id="publishing-interrupts",
        ),
        pytest.param(
            Standing(error=REFUSED, tries=1, saved_phase="publishing"),
            Abort(error=REFUSED),
            id="publish-refused-before-any-change-ends-the-run",
        ),
    ],
)
def test_the_next_step_follows_from_where_the_run_stands(standing: Standing, step: object) -> None:
    assert next_step(standing) == step


def test_a_result_ends_the_run() -> None:
    result = EntityResult(
        flow="f", entity="e", status=RunStatus.SUCCESS, run_type=RunType.FULL_DROP
    )

    assert next_step(Standing(result=result)) == Done(result=result)


def test_a_standing_crosses_a_process_boundary_as_json() -> None:
    standing = Standing(checkpoint=checkpoint(), error=TRANSIENT, tries=1)

    assert Standing.model_validate_json(standing.model_dump_json()) == standing


def _partitioned(*, chunks: int, apart: bool, done: tuple[str, ...] = ()) -> Checkpoint:
    own = Staging(run_id="r", run_type=RunType.FULL_DROP, location="staging") if apart else None
    parts = [PartitionProgress(id=i, done=i in done, staging=own) for i in ("p0", "p1", "p2")]
    return checkpoint().model_copy(update={"partitions": parts, "chunks": chunks})


@pytest.mark.parametrize(
    ("moving", "partitions"),
    [
        pytest.param(_partitioned(chunks=0, apart=True), ["p0"], id="first-chunk-alone"),
        pytest.param(_partitioned(chunks=1, apart=True), ["p0", "p1", "p2"], id="then-all"),
        pytest.param(
            _partitioned(chunks=3, apart=True, done=("p1",)), ["p0", "p2"], id="those-not-done"
        ),
        pytest.param(_partitioned(chunks=3, apart=False), ["p0"], id="shared-staging-in-turn"),
    ],
)
def test_move_chunk_names_the_partitions_that_may_move_at_once(
    moving: Checkpoint, partitions: list[str]
) -> None:
    assert next_step(Standing(checkpoint=moving)) == MoveChunk(partitions=partitions)
