"""The orchestrators alone, replayed by the Durable SDK's replay engine with stub activities
(tests/support/stub_activities.py): cancellation, a crashing activity, the custom status."""

from __future__ import annotations

import asyncio
import json

from hygge.functions import orchestration, orchestrators
from hygge.functions.cancel import request_cancel
from hygge.functions.contracts import CUSTOM_STATUS_LIMIT, RunInput
from tests.support.durable import ReplayDriver, blueprint_handles
from tests.support.replay_client import ReplayClient as FakeClient
from tests.support.stub_activities import StubActivities

RUN = RunInput(requested_at="2026-12-01T02:00:00Z").model_dump(mode="json")


def _driver(stub: StubActivities, **options) -> ReplayDriver:
    return ReplayDriver(
        blueprint_handles(orchestration, orchestration.ORCHESTRATORS), stub, **options
    )


def test_a_cancel_stops_entities_at_a_chunk_boundary_and_starts_no_more():
    stub = StubActivities(entities=10, chunks=6, max_parallel=3)
    asked: list[bool] = []

    def cancel_once(replay, instance):
        chunks = sum(1 for c in replay.calls if c.name == "move_chunk")
        if instance.id.startswith("hygge-run-c:") and chunks >= 4 and not asked:
            told = request_cancel(FakeClient(replay), "hygge-run-c", ack_seconds=0)
            asked.append(asyncio.run(told))

    replay = _driver(stub, on_episode=cancel_once)
    instance = replay.run("run_workspace", RUN, "hygge-run-c")

    assert asked == [True]
    summary = instance.output
    assert summary["cancelled"] is True
    assert summary["entities"] == 10
    stopped = [o for o in summary["outcomes"] if o["cancelled"] and o["chunks"]]
    assert len(stopped) == 3  # the three in flight stopped with their chunks kept
    assert all(0 < o["chunks"] < 6 for o in stopped)
    assert all(o["error_type"] == "Cancelled" for o in stopped)
    assert summary["not_run"] == 7  # never started
    assert summary["failed"] == 3  # journaled as the engine journals a cancel
    started = [i for i in replay.instances if i.startswith("hygge-run-c:")]
    assert len(started) == 3
    assert not [c for c in replay.calls if c.name == "commit"]
    assert asyncio.run(request_cancel(FakeClient(replay), "hygge-run-c")) is False  # ended


def test_cancel_of_an_unknown_run_is_false():
    assert asyncio.run(request_cancel(FakeClient(_driver(StubActivities(1))), "nope")) is False


def test_an_activity_that_raises_fails_its_entity_only():
    stub = StubActivities(entities=5, raising={"e0002"})

    instance = _driver(stub).run("run_workspace", RUN, "hygge-run-r")

    summary = instance.output
    assert (summary["succeeded"], summary["failed"]) == (4, 1)
    failed = next(o for o in summary["outcomes"] if o["status"] == "fail")
    assert failed["entity"] == "e0002"
    assert "the begin activity failed: e0002: begin blew up" in failed["message"]


def test_a_permanent_failure_is_aborted_and_returned_not_raised():
    stub = StubActivities(entities=3, failing={"e0001"})
    replay = _driver(stub)

    instance = replay.run("run_workspace", RUN, "hygge-run-f")

    child = replay.instances["hygge-run-f:shop.e0001"]
    assert child.failed is None and child.done  # a result, not a failed sub-orchestration
    assert child.output["status"] == "fail" and child.output["error_type"] == "DataError"
    aborts = [c for c in replay.calls if c.name == "abort"]
    assert [c.input["task"]["entity"] for c in aborts] == ["e0001"]
    assert instance.output["succeeded"] == 2


def test_the_custom_status_stays_under_16_kb_with_many_entities_in_flight():
    stub = StubActivities(entities=600, chunks=1, max_parallel=500)
    seen: list[int] = []

    def measure(replay, instance):
        if instance.id == "hygge-run-s" and instance.custom_status:
            seen.append(len(json.dumps(instance.custom_status).encode()))

    instance = _driver(stub, on_episode=measure).run("run_workspace", RUN, "hygge-run-s")

    assert instance.output["succeeded"] == 600
    assert max(seen) <= CUSTOM_STATUS_LIMIT


def test_attempt_and_child_ids_derive_from_the_instance_id():
    assert orchestrators.attempt_of("a:shop.orders") == orchestrators.attempt_of("a:shop.orders")
    assert orchestrators.attempt_of("a:shop.orders") != orchestrators.attempt_of("b:shop.orders")
    assert len(orchestrators.attempt_of("x")) == 32


def _landing_run():
    run = RunInput(trigger="blob", requested_at="2026-12-01T02:00:00Z", landing_paths=["a.parquet"])
    return run.model_dump(mode="json")


def test_a_file_landing_during_a_landing_run_makes_one_more_pass():
    from hygge.functions.landing import LANDING_EVENT

    stub = StubActivities(entities=1, chunks=4)
    raised: list[str] = []

    def land_twice(replay, instance):
        if instance.id.endswith(":shop.e0000") and len(raised) < 2:
            for key in ("b.parquet", "c.parquet")[len(raised) :][:1]:
                raised.append(key)
                replay.raise_event("hygge-landing-shop.e0000", LANDING_EVENT, key)

    replay = _driver(stub, on_episode=land_twice)
    instance = replay.run("run_workspace", _landing_run(), "hygge-landing-shop.e0000")

    assert raised == ["b.parquet", "c.parquet"]  # two arrivals in the first pass
    assert instance.executions == 2  # coalesced into one more pass, no more
    plans = [c for c in replay.calls if c.name == "plan"]
    assert len(plans) == 2
    assert plans[1].input["run"]["landing_paths"] in (["b.parquet"], ["c.parquet"])
    assert instance.output["succeeded"] == 1


def test_a_landing_run_without_arrivals_makes_one_pass():
    instance = _driver(StubActivities(entities=1)).run(
        "run_workspace", _landing_run(), "hygge-landing-shop.e0000"
    )

    assert instance.executions == 1
    assert instance.output["succeeded"] == 1


def test_entity_activities_log_with_their_run_flow_entity_and_attempt_ids(monkeypatch):
    import logging

    from hygge.functions import activities, telemetry
    from hygge.functions.contracts import ActivityInput, EntityTaskRef, StepOutcome
    from hygge.types import RunType

    seen: list[dict[str, str]] = []

    def begin(payload, session=None):
        seen.append(telemetry.current_ids())
        logging.getLogger("hygge.functions").info("began")
        return StepOutcome()

    monkeypatch.setattr(activities, "begin_activity", begin)
    ref = EntityTaskRef(
        run_id="hygge-run-1",
        coordinator_run_id="c",
        flow_run_id="f",
        flow="sales",
        entity="orders",
        run_type=RunType.FULL_DROP,
    )
    payload = ActivityInput(
        task=ref, instance_id="hygge-run-1:sales.orders", attempt="a" * 32, step_id="begin-1"
    )
    orchestration.begin.build().get_user_function()(payload.model_dump(mode="json"))

    assert seen == [
        {
            "run_id": "hygge-run-1",
            "flow": "sales",
            "entity": "sales.orders",
            "attempt": "a" * 32,
            "step": "begin-1",
        }
    ]


def test_an_interrupted_run_of_another_run_type_is_finished_then_the_run_asked_for():
    from hygge.types import RunType

    stub = StubActivities(entities=1, chunks=2)
    commits: list[str] = []
    plain_commit = stub._commit

    def commit(payload):
        answer = plain_commit(payload)
        if not commits:  # the first commit finishes an interrupted incremental run
            answer["outcome"]["run_type"] = RunType.INCREMENTAL.value
        commits.append(answer["outcome"]["run_type"])
        return answer

    stub._commit = commit  # type: ignore[method-assign]
    replay = _driver(stub)
    instance = replay.run("run_workspace", RUN, "hygge-run-t")

    assert commits == ["incremental", "full_drop"]
    assert replay.instances["hygge-run-t:shop.e0000"].executions == 2
    outcome = instance.output["outcomes"][0]
    assert (outcome["run_type"], outcome["status"]) == ("full_drop", "success")
