"""The durable cancel (`hygge.functions.cancel_marker`): the marker `POST /cancel` writes before
it raises any event stops every entity of the run at its next chunk boundary even when no event
reaches it (the run never said it heard: no ack); the store keeps exactly what the
checkpoints say, and a later run (another id) moves the rest — nothing lost, nothing doubled.
Orchestrations replayed by the SDK's replay engine, activities run for real on Azurite."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import azure.functions as func
import pytest

from hygge.functions import runs_api
from hygge.functions.cancel_marker import (
    cancel_requested,
    clear_markers,
    marker_key,
    write_marker,
)
from hygge.functions.contracts import RunInput, RunRequest
from tests.functions.app_shop import content_hash, driver, make_shop, service
from tests.support.durable_client import TaskHub

pytestmark = pytest.mark.azurite

STARTED = "2026-12-01T02:00:00Z"
ENTITIES = ["orders", "lines", "customers"]


@pytest.fixture
def shop(azurite, monkeypatch):
    made = make_shop(azurite.connection_string)
    for name, value in made.env(HYGGE_MAX_PARALLEL_ENTITIES="1").items():
        monkeypatch.setenv(name, value)
    made.write_workspace(ENTITIES, checkpoint_rows=200)
    for number, entity in enumerate(ENTITIES):
        made.land(entity, range(number * 10_000, number * 10_000 + 1_000), files=5)
    return made


def _run_input() -> dict[str, object]:
    return RunInput(request=RunRequest(), trigger="http", requested_at=STARTED).model_dump(
        mode="json"
    )


def _moved(replay, entity: str) -> int:
    return sum(
        1 for c in replay.calls if c.name == "move_chunk" and c.input["task"]["entity"] == entity
    )


def test_a_marker_no_event_carried_stops_every_entity_at_a_chunk_boundary(shop):
    replay = driver()
    replay.start("run_workspace", _run_input(), "hygge-run-cut")
    while _moved(replay, "orders") < 2:  # orders (one entity at a time) is moving
        assert replay.step()

    write_marker(shop.workspace, "hygge-run-cut")  # no event raised: the run never hears it
    replay.drive()

    run = replay.instances["hygge-run-cut"]
    assert run.done and run.failed is None, run.failed
    summary = run.output
    outcomes = {o["entity"]: o for o in summary["outcomes"]}
    assert summary["cancelled"] is True and summary["succeeded"] == 0
    assert outcomes["orders"]["cancelled"] is True  # stopped at its next chunk boundary
    assert _moved(replay, "orders") == 3  # the chunk that found the marker moved nothing
    for late in ("lines", "customers"):  # started after the cancel: they stop before a chunk
        assert outcomes[late]["status"] == "not_run" and outcomes[late]["cancelled"] is True
        assert _moved(replay, late) == 0
    assert not [c for c in replay.calls if c.name == "commit"]
    assert shop.lake_frame("orders").is_empty()  # nothing published half
    checkpoints = [n for n in shop.state_names() if "/checkpoints/" in n]
    assert len(checkpoints) == 1 and "orders" in checkpoints[0]  # kept, for the next run
    assert not cancel_requested(shop.workspace, "hygge-run-cut")  # the summary cleaned up

    again = driver().run("run_workspace", _run_input(), "hygge-run-next")  # a new id

    assert again.output["succeeded"] == 3 and again.output["cancelled"] is False
    for entity in ENTITIES:
        assert content_hash(shop.lake_frame(entity)) == content_hash(shop.source_frame(entity))
    rows = {(r["entity"], r["status"]) for r in shop.journal_rows()}
    assert ("orders", "success") in rows and ("lines", "not_run") in rows


def test_a_marker_of_another_run_or_a_finished_one_stops_nothing(shop):
    write_marker(shop.workspace, "hygge-run-old")  # a run that ended long ago

    done = driver().run("run_workspace", _run_input(), "hygge-run-new")

    assert done.output["succeeded"] == 3 and done.output["cancelled"] is False
    assert cancel_requested(shop.workspace, "hygge-run-old")  # not ours, not old: kept


def test_a_marker_left_by_an_earlier_execution_of_a_reused_id_stops_nothing(shop):
    # A landing run's id is the entity's (`hygge-landing-<entity>`): a cancel that came
    # after its summary left a marker; the next landing run of that id must not stop.
    write_marker(shop.workspace, "hygge-landing-sales.orders")
    later = datetime.now(UTC) + timedelta(seconds=5)
    run = RunInput(
        request=RunRequest(entities=["sales.orders"]),
        trigger="blob",
        requested_at=later.isoformat(),
    )

    done = driver().run("run_workspace", run.model_dump(mode="json"), "hygge-landing-sales.orders")

    assert done.output["succeeded"] == 1 and done.output["cancelled"] is False
    assert content_hash(shop.lake_frame("orders")) == content_hash(shop.source_frame("orders"))
    assert not cancel_requested(shop.workspace, "hygge-landing-sales.orders")  # cleaned up


def test_the_summary_deletes_markers_older_than_a_week_and_only_those(shop, monkeypatch):
    from hygge.functions import cancel_marker

    write_marker(shop.workspace, "hygge-run-a")
    write_marker(shop.workspace, "hygge-run-b")
    with monkeypatch.context() as patched:
        patched.setattr(cancel_marker, "MAX_AGE", cancel_marker.MAX_AGE * 0)
        assert clear_markers(shop.workspace, "hygge-run-z") == 2  # both older than "no age"

    write_marker(shop.workspace, "hygge-run-c")
    assert clear_markers(shop.workspace, "hygge-run-z") == 0
    assert cancel_requested(shop.workspace, "hygge-run-c")


def test_the_http_cancel_writes_the_marker_before_any_event(shop):
    hub = TaskHub()
    run = hub.add("hygge-run-live", "Running", custom_status={"cancelled": True})
    seen: list[bool] = []
    raise_event = hub._post

    async def recording(url, *args, **kwargs):
        if "/raiseEvent/" in url:
            seen.append(cancel_requested(shop.workspace, "hygge-run-live"))
        return await raise_event(url, *args, **kwargs)

    hub._post = recording
    request = func.HttpRequest(
        "POST",
        "https://x/api/runs/hygge-run-live/cancel",
        body=b"",
        route_params={"id": run.instance_id},
    )
    response = asyncio.run(runs_api.cancel_run(request, hub.client()))

    assert response.status_code == 202, response.get_body()
    assert seen and all(seen)  # the marker was there before the first event


def test_a_marker_that_cannot_be_written_is_503_and_no_event_is_raised(shop, monkeypatch):
    hub = TaskHub()
    run = hub.add("hygge-run-live", "Running")
    monkeypatch.setenv("HYGGE_WORKSPACE", "az://no-such-container-here/shop")
    request = func.HttpRequest(
        "POST",
        "https://x/api/runs/hygge-run-live/cancel",
        body=b"",
        route_params={"id": run.instance_id},
    )
    response = asyncio.run(runs_api.cancel_run(request, hub.client()))

    assert response.status_code == 503
    assert "call cancel again" in json.loads(response.get_body())["error"]
    assert run.events == []


@pytest.mark.parametrize("run_id", ["", "../x", ".hidden", "a/b"])
def test_a_marker_key_is_never_a_path(run_id):
    with pytest.raises(ValueError):
        marker_key("shop", run_id)


def test_an_unreadable_marker_counts_as_none(shop, monkeypatch):
    monkeypatch.setenv("HYGGE_STORAGE_CONNECTION", "DefaultEndpointsProtocol=http;nonsense")
    assert cancel_requested(shop.workspace, "hygge-run-x") is False
    assert service(shop.connection_string).get_container_client(shop.config).exists()
