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
from hygge.engine.models import Checkpoint, EntityResult
from hygge.homes import Window
from hygge.stores import Staging
from hygge.types import RunStatus, RunType

TRANSIENT = RunError(kind="transient", type="TimeoutError", message="slow")
TERMINAL = RunError(kind="terminal", type="DataError", message="bad row")


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
        pytest.param(Standing(checkpoint=checkpoint()), MoveChunk(), id="moving-moves-on"),
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
