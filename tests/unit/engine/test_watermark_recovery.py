"""When a new run adopts the store's watermark instead of the state's (`engine.recovery`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hygge.engine.recovery import adopted_watermark
from hygge.records import ResetMark, Watermark
from hygge.stores.base import CommitRecord
from hygge.types import RunType

STORE = "local parquet ./lake/orders"


def _watermark(run: str | None, value: int, store: str | None = STORE) -> Watermark:
    return Watermark(column="id", value=value, entity_run_id=run, store_identity=store)


def _marker(run: str, watermark: Watermark | None) -> CommitRecord:
    return CommitRecord(run_id=run, run_type=RunType.INCREMENTAL, watermark=watermark)


def test_a_marker_naming_a_run_the_state_does_not_know_gives_its_watermark() -> None:
    published = _watermark("run-2", 20)

    adopted = adopted_watermark(
        _watermark("run-1", 10), _marker("run-2", published), STORE, transactional=False
    )

    assert adopted == published


@pytest.mark.parametrize(
    ("last", "marker"),
    [
        pytest.param(_watermark("run-1", 10), None, id="no_marker"),
        pytest.param(_watermark("run-1", 10), _marker("run-2", None), id="older_marker"),
        pytest.param(
            _watermark("run-2", 20), _marker("run-2", _watermark("run-2", 20)), id="same_run"
        ),
        pytest.param(
            _watermark("run-1", 10, store="sqlite other"),
            _marker("run-2", _watermark("run-2", 20)),
            id="state_of_another_store",
        ),
        pytest.param(
            _watermark("run-1", 10),
            _marker("run-2", _watermark("run-2", 20, store="local parquet ./old/orders")),
            id="marker_copied_from_another_store",
        ),
        pytest.param(None, _marker("run-2", _watermark("run-2", 20)), id="reset_state"),
    ],
)
def test_the_state_watermark_stands_when_the_store_has_nothing_newer_to_say(
    last: Watermark | None, marker: CommitRecord | None
) -> None:
    assert adopted_watermark(last, marker, STORE, transactional=False) is None


def test_a_transactional_store_is_authoritative_even_over_an_empty_state() -> None:
    published = _watermark("run-2", 20)

    assert adopted_watermark(None, _marker("run-2", published), STORE, transactional=True) == (
        published
    )


T_RESET = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)


@pytest.mark.parametrize(
    ("run", "committed_at", "forgotten"),
    [
        pytest.param("run-2", T_RESET + timedelta(days=1), True, id="named_run"),
        pytest.param("run-9", T_RESET - timedelta(seconds=1), True, id="committed_before"),
        pytest.param("run-9", T_RESET, True, id="committed_at_the_reset"),
        pytest.param("run-9", T_RESET + timedelta(seconds=1), False, id="committed_after"),
        pytest.param("run-9", None, False, id="unknown_time_other_run"),
    ],
)
def test_a_reset_mark_forgets_the_markers_it_names_and_older_ones(
    run: str, committed_at: datetime | None, forgotten: bool
) -> None:
    mark = ResetMark(reset_at=T_RESET, runs=["run-1", "run-2"])

    assert mark.forgets(run, committed_at) is forgotten
