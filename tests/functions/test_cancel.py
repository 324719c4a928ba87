"""Cancelling a run (`hygge.functions.cancel`): the entity a run starts after the client looked
is told too; every entity stops at a chunk boundary with its checkpoint, nothing committed
half; a Suspended run is resumed to process the cancel. Orchestrations replayed by the SDK's
replay engine with stub activities, the HTTP route with the SDK's real client."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlsplit

import azure.functions as func
import pytest

from hygge.functions import cancel, orchestration, runs_api
from hygge.functions.cancel import CANCEL_EVENT, request_cancel
from hygge.functions.contracts import RunInput
from tests.support.durable import SUB_COMPLETED, ReplayDriver, blueprint_handles
from tests.support.durable_client import TaskHub
from tests.support.replay_client import ReplayClient
from tests.support.stub_activities import StubActivities

RUN = RunInput(requested_at="2026-12-01T02:00:00Z").model_dump(mode="json")
RUN_ID = "hygge-run-g"


@pytest.fixture(autouse=True)
def _no_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cancel, "POLL_SECONDS", 0.0)


def _driver(stub: StubActivities) -> ReplayDriver:
    return ReplayDriver(blueprint_handles(orchestration, orchestration.ORCHESTRATORS), stub)


def _children(replay: ReplayDriver) -> list[str]:
    return [i for i in replay.instances if i.startswith(f"{RUN_ID}:")]


def test_an_entity_the_run_starts_after_the_client_looked_is_told_and_stops():
    stub = StubActivities(entities=6, chunks=8, max_parallel=2)
    replay = _driver(stub)
    replay.start("run_workspace", RUN, RUN_ID)
    run = replay.instances[RUN_ID]
    # Until an entity's completion waits for the run's next episode: the cancel raised now is
    # recorded after it, so the run starts the next entity before it sees the cancel.
    while not any(e["EventType"] == SUB_COMPLETED for e in run.pending):
        assert replay.step()
    stub.chunks = 1_000  # from now on no entity would end by itself
    looked = set(_children(replay))

    client = ReplayClient(replay, advance=True)
    assert asyncio.run(request_cancel(client, RUN_ID, ack_seconds=30)) is True
    replay.drive()

    started_late = set(_children(replay)) - looked
    assert started_late  # the gap: started while the cancel was on its way
    assert started_late <= set(client.raised)  # told by the sweep after the run heard it
    summary = run.output
    assert summary["cancelled"] is True
    ended = {f"{RUN_ID}:shop.{o['entity']}": o for o in summary["outcomes"]}
    for child in started_late:
        assert ended[child]["cancelled"] is True
        assert ended[child]["status"] == "fail"  # journaled as a cancel, checkpoint kept
    assert summary["succeeded"] == len(looked)  # only those that ended before the cancel
    assert len([c for c in replay.calls if c.name == "commit"]) == len(looked)
    assert summary["not_run"] == 6 - len(_children(replay))


def test_a_cancel_between_episodes_stops_every_partition_at_a_chunk_boundary():
    stub = StubActivities(entities=3, max_parallel=3, partitions={"p0": 12, "p1": 4, "p2": 4})
    replay = _driver(stub)
    replay.start("run_workspace", RUN, RUN_ID)
    while sum(c.name == "move_chunk" for c in replay.calls) < 9:
        assert replay.step()

    assert asyncio.run(request_cancel(ReplayClient(replay, advance=True), RUN_ID)) is True
    replay.drive()

    summary = replay.instances[RUN_ID].output
    assert summary["cancelled"] is True
    assert not [c for c in replay.calls if c.name == "commit"]  # nothing committed half
    aborts = {c.input["task"]["entity"]: c.input for c in replay.calls if c.name == "abort"}
    assert set(aborts) == {"e0000", "e0001", "e0002"}
    for entity, given in aborts.items():
        assert given["cancelled"] is True
        merged = stub.stored[entity]  # every chunk that moved, in the checkpoint kept
        assert given["checkpoint"]["generation"] == merged.generation
        assert given["checkpoint"]["partition_chunks"] == merged.partition_chunks
        assert not merged.done


def _cancel_request(run_id: str) -> func.HttpRequest:
    return func.HttpRequest(
        "POST", "https://app.example.net/api/runs/x/cancel", body=b"", route_params={"id": run_id}
    )


def test_a_suspended_run_is_resumed_to_process_the_cancel(monkeypatch, published):
    monkeypatch.setattr(cancel, "ACK_SECONDS", 0.0)
    hub = TaskHub()
    run = hub.add("hygge-run-s-0", "Suspended", custom_status={"running": ["sales.orders"]})
    child = hub.add("hygge-run-s-0:sales.orders", "Running")

    response = asyncio.run(runs_api.cancel_run(_cancel_request("hygge-run-s-0"), hub.client()))

    assert response.status_code == 202, response.get_body()
    assert json.loads(response.get_body()) == {"id": "hygge-run-s-0", "cancel": "requested"}
    assert [name for name, _ in run.events] == [CANCEL_EVENT]
    assert run.status == "Running"  # resumed: it processes the cancel and ends cancelled
    assert [name for name, _ in child.events] == [CANCEL_EVENT]
    posts = [url for method, url in hub.requests if method == "POST"]
    assert any("/raiseEvent/" in url for url in posts)
    assert any("/resume?" in url for url in posts)
    assert not any("/terminate" in url for url in posts)


def test_an_entity_missing_from_a_cut_status_is_told_and_one_started_later_too(
    monkeypatch, published
):
    hub = TaskHub()
    status = {"running": [], "truncated": True, "cancelled": False}
    run = hub.add("hygge-run-t-0", "Running", custom_status=status)
    hidden = hub.add("hygge-run-t-0:sales.orders", "Running")
    hub.add("hygge-run-t-0:sales.done", "Completed")
    answer = hub._get
    reads: list[int] = []

    async def host_works(url, *args, **kwargs):
        if urlsplit(url).path.endswith("/instances/hygge-run-t-0") and run.events:
            reads.append(1)
            if len(reads) == 2:  # the run started one more entity, then heard the cancel
                hub.add("hygge-run-t-0:sales.late", "Running")
                run.custom_status = {**status, "cancelled": True}
        return await answer(url, *args, **kwargs)

    hub._get = host_works
    response = asyncio.run(runs_api.cancel_run(_cancel_request("hygge-run-t-0"), hub.client()))

    assert response.status_code == 202
    assert [name for name, _ in hidden.events] == [CANCEL_EVENT]  # found by its id's prefix
    assert [name for name, _ in hub.instances["hygge-run-t-0:sales.late"].events] == [CANCEL_EVENT]
    assert hub.instances["hygge-run-t-0:sales.done"].events == []  # ended: not told
