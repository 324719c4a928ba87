"""The first run after `hygge reset` of an incremental entity publishes as a full_drop
(`hygge.engine.after_reset`), in every driver: `begin` decides it from the state alone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hygge.engine.after_reset import publish_run_type, settle_reset
from hygge.engine.models import Checkpoint, EntityTask
from hygge.homes import LocalHomeConfig, Window
from hygge.records import ResetMark, Watermark
from hygge.state.memory import MemoryStateBackend
from hygge.stores import LocalStoreConfig, Staging
from hygge.types import RunType

RESET = datetime(2026, 12, 1, tzinfo=UTC)


def _task(run_type: RunType = RunType.INCREMENTAL) -> EntityTask:
    return EntityTask(
        coordinator="ws",
        coordinator_run_id="c",
        flow_run_id="f",
        flow="shop",
        entity="orders",
        run_type=run_type,
        home=LocalHomeConfig(path="landing"),
        store=LocalStoreConfig(path="lake"),
        root="/tmp/ws",
    )


def _reset_state(*, full_drop_next: bool = True) -> MemoryStateBackend:
    state = MemoryStateBackend()
    state.set_reset("shop", "orders", ResetMark(reset_at=RESET, full_drop_next=full_drop_next))
    return state


def _checkpoint(*, after_reset: bool) -> Checkpoint:
    return Checkpoint(
        entity_run_id="r",
        flow="shop",
        entity="orders",
        run_type=RunType.INCREMENTAL,
        started_at=RESET,
        window=Window(),
        staging=Staging(run_id="r", run_type=RunType.FULL_DROP, location="s"),
        attempt_id="a",
        after_reset=after_reset,
    )


def test_the_first_incremental_run_after_a_reset_publishes_as_a_full_drop():
    assert publish_run_type(_task(), _reset_state(), None) is RunType.FULL_DROP


@pytest.mark.parametrize(
    ("run_type", "full_drop_next", "last", "expected"),
    [
        pytest.param(RunType.MERGE, True, None, RunType.MERGE, id="merge-upserts"),
        pytest.param(RunType.FULL_DROP, True, None, RunType.FULL_DROP, id="full-drop"),
        pytest.param(RunType.INCREMENTAL, False, None, RunType.INCREMENTAL, id="keep-data"),
        pytest.param(
            RunType.INCREMENTAL, True, Watermark(column="id", value=3), RunType.INCREMENTAL,
            id="a-run-after-the-reset-published",
        ),
    ],
)  # fmt: skip
def test_other_runs_publish_as_their_run_type(run_type, full_drop_next, last, expected):
    state = _reset_state(full_drop_next=full_drop_next)

    assert publish_run_type(_task(run_type), state, last) is expected


def test_a_first_run_never_reset_appends():
    assert publish_run_type(_task(), MemoryStateBackend(), None) is RunType.INCREMENTAL


def test_the_publish_of_the_first_run_after_reset_clears_the_mark_and_keeps_the_rest():
    state = _reset_state()

    settle_reset(_task(), _checkpoint(after_reset=True), state)

    mark = state.get_reset("shop", "orders")
    assert mark is not None and mark.full_drop_next is False and mark.reset_at == RESET


def test_other_publishes_leave_the_mark_alone():
    state = _reset_state()

    settle_reset(_task(), _checkpoint(after_reset=False), state)

    mark = state.get_reset("shop", "orders")
    assert mark is not None and mark.full_drop_next is True


def test_a_mark_of_an_older_hygge_makes_no_full_drop():
    older = ResetMark.model_validate_json('{"reset_at": "2026-12-01T00:00:00Z", "runs": []}')

    assert older.full_drop_next is False
