"""The HTTP starters, called as the host calls them: a real `func.HttpRequest`, the SDK's real
Durable client (its extension endpoint answered by `TaskHub`), a workspace in Azurite."""

from __future__ import annotations

import asyncio
import json
import os
import re
from datetime import datetime
from typing import Any

import azure.functions as func
import pytest

from hygge.functions import runs_api
from tests.functions.conftest import PublishedWorkspace
from tests.support.durable_client import TaskHub

pytestmark = pytest.mark.azurite


def post(body: Any, *, raw: bytes | None = None) -> func.HttpRequest:
    data = raw if raw is not None else json.dumps(body).encode()
    return func.HttpRequest("POST", "https://app.example.net/api/runs", body=data)


def start(hub: TaskHub, request: func.HttpRequest) -> tuple[int, Any, func.HttpResponse]:
    response = asyncio.run(runs_api.start_run(request, hub.client()))
    return response.status_code, json.loads(response.get_body() or b"null"), response


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"flows": "sales"}, "flows", id="flows-not-a-list"),
        pytest.param({"flows": []}, "flows", id="flows-empty"),
        pytest.param({"flows": [""]}, "flows[0]", id="flow-name-empty"),
        pytest.param({"entities": ["orders"]}, "entities[0]", id="entity-not-dotted"),
        pytest.param({"entities": [3]}, "entities[0]", id="entity-not-text"),
        pytest.param({"run_type": "append"}, "run_type", id="run-type-unknown"),
        pytest.param({"dry_run": "yes"}, "dry_run", id="dry-run-not-bool"),
        pytest.param({"flow": ["sales"]}, "flow", id="unknown-field"),
        pytest.param(["sales"], "body", id="not-an-object"),
    ],
)
def test_a_bad_body_is_400_naming_the_field(
    hub: TaskHub, published: PublishedWorkspace, body: Any, field: str
) -> None:
    status, answer, _ = start(hub, post(body))

    assert status == 400
    assert f"{field}:" in answer["error"]
    assert hub.started == []


def test_a_body_that_is_not_json_is_400(hub: TaskHub, published: PublishedWorkspace) -> None:
    status, answer, _ = start(hub, post(None, raw=b"{flows: sales"))

    assert status == 400
    assert "body: not a JSON object" in answer["error"]


def test_unknown_names_are_404_listing_what_exists(
    hub: TaskHub, published: PublishedWorkspace
) -> None:
    status, answer, _ = start(hub, post({"flows": ["sale"], "entities": ["stock.level"]}))

    assert status == 404
    assert answer["unknown_flows"] == ["sale"]
    assert answer["unknown_entities"] == ["stock.level"]
    assert answer["flows"] == {
        "sales": ["sales.orders", "sales.customers"],
        "stock": ["stock.levels"],
    }
    assert "sales, stock" in answer["error"]
    assert hub.started == []


def test_a_valid_request_starts_a_run_and_answers_202_with_status_urls(
    hub: TaskHub, published: PublishedWorkspace
) -> None:
    body = {"flows": ["sales"], "run_type": "full_drop", "dry_run": True}
    status, answer, response = start(hub, post(body))

    assert status == 202
    [instance_id] = hub.started
    assert re.fullmatch(r"hygge-run-[0-9a-f]{16}-0", instance_id)  # selection, generation
    assert instance_id in answer["statusQueryGetUri"]
    assert response.headers["Location"] == answer["statusQueryGetUri"]
    assert answer["statusQueryGetUri"].startswith("https://app.example.net/")
    started = hub.instances[instance_id]
    assert started.name == "run_workspace"
    assert started.input["trigger"] == "http"
    assert started.input["request"] == {
        "flows": ["sales"],
        "entities": None,
        "run_type": "full_drop",
        "dry_run": True,
    }


def test_an_empty_body_runs_the_whole_workspace(
    hub: TaskHub, published: PublishedWorkspace
) -> None:
    status, _, _ = start(hub, post(None, raw=b""))

    assert status == 202
    [instance_id] = hub.started
    assert hub.instances[instance_id].input["request"]["flows"] is None


def test_the_same_selection_running_is_409_with_its_id(
    hub: TaskHub, published: PublishedWorkspace
) -> None:
    first, _, _ = start(hub, post({"entities": ["sales.orders", "stock.levels"]}))
    [running] = hub.started
    hub.instances[running].status = "Running"

    again, answer, _ = start(hub, post({"entities": ["stock.levels", "sales.orders"]}))
    other, _, _ = start(hub, post({"entities": ["stock.levels"]}))

    assert (first, again, other) == (202, 409, 202)
    assert answer["id"] == running
    assert running in answer["error"]
    assert len(hub.started) == 2


def test_a_finished_run_of_the_same_selection_does_not_block_a_new_one(
    hub: TaskHub, published: PublishedWorkspace
) -> None:
    start(hub, post({"flows": ["stock"]}))
    hub.instances[hub.started[0]].status = "Completed"

    status, _, _ = start(hub, post({"flows": ["stock"]}))

    assert status == 202
    assert len(hub.started) == 2


def test_a_broken_workspace_is_500_naming_the_file(
    hub: TaskHub, published: PublishedWorkspace
) -> None:
    from azure.storage.blob import BlobServiceClient

    service = BlobServiceClient.from_connection_string(published.connection_string)
    blob = service.get_blob_client(published.container, "shop/flows/stock/flow.yml")
    blob.upload_blob(b"home: {type: parqet, path: x}\nentities: [a]\n", overwrite=True)

    status, answer, _ = start(hub, post({}))

    assert status == 500
    assert "flows/stock/flow.yml" in answer["error"]
    assert hub.started == []


def get(hub: TaskHub, instance_id: str, action: str = "") -> tuple[int, Any]:
    url = f"https://app.example.net/api/runs/{instance_id}{action}"
    request = func.HttpRequest(
        "POST" if action else "GET", url, route_params={"id": instance_id}, body=b""
    )
    handler = runs_api.cancel_run if action else runs_api.get_run
    response = asyncio.run(handler(request, hub.client()))
    return response.status_code, json.loads(response.get_body())


def test_status_of_a_running_run_shows_progress_and_each_entity(hub: TaskHub) -> None:
    parent = "hygge-run-0a1b"
    progress = {"phase": "running", "entities": 2, "running": ["sales.orders"], "rows": 10}
    hub.add(parent, "Running", custom_status=progress)
    hub.add(f"{parent}:sales.orders", "Running", custom_status={"rows": 10, "chunks": 2})
    hub.add(f"{parent}:sales.customers", "Pending")
    hub.add("hygge-run-other:sales.orders", "Running", custom_status={"rows": 99})

    status, answer = get(hub, parent)

    assert status == 200
    assert answer["status"] == "Running"
    assert datetime.fromisoformat(answer["created"]).tzinfo is not None
    assert answer["progress"] == progress
    assert answer["summary"] is None
    assert [(e["entity"], e["state"], e["rows"], e["chunks"]) for e in answer["entities"]] == [
        ("sales.customers", "Pending", 0, 0),
        ("sales.orders", "Running", 10, 2),
    ]


def test_status_of_a_finished_run_shows_its_summary(hub: TaskHub) -> None:
    outcome = {"flow": "sales", "entity": "orders", "status": "success", "run_type": "full_drop"}
    summary = {"run_id": "hygge-run-done", "entities": 1, "succeeded": 1, "rows": 5}
    summary["outcomes"] = [{**outcome, "rows": 5, "chunks": 1}]
    hub.add("hygge-run-done", "Completed", output=summary)

    status, answer = get(hub, "hygge-run-done")

    assert status == 200
    assert answer["summary"] == summary
    assert answer["entities"] == [
        {"entity": "sales.orders", "state": "success", "rows": 5, "chunks": 1, "message": None}
    ]


@pytest.mark.parametrize(
    ("instance_id", "code"),
    [
        pytest.param("hygge-run-missing", 404, id="unknown"),
        pytest.param("someone-elses", 400, id="not-hygge"),
        pytest.param("hygge-run-x:sales.orders", 400, id="sub-orchestration"),
        pytest.param("hygge-run-x?y", 400, id="odd-characters"),
    ],
)
def test_status_of_an_unknown_or_foreign_id_is_refused(
    hub: TaskHub, instance_id: str, code: int
) -> None:
    status, answer = get(hub, instance_id)

    assert status == code
    assert instance_id in answer["error"]


def test_cancel_of_a_finished_run_is_409_and_of_an_unknown_one_404(hub: TaskHub) -> None:
    hub.add("hygge-run-done", "Completed")

    done, done_answer = get(hub, "hygge-run-done", "/cancel")
    missing, _ = get(hub, "hygge-run-nope", "/cancel")

    assert (done, missing) == (409, 404)
    assert "Completed" in done_answer["error"]


def list_request(**params: str) -> func.HttpRequest:
    return func.HttpRequest("GET", "https://app.example.net/api/runs", params=params, body=b"")


def append_journal_rows(count: int) -> None:
    from datetime import UTC, datetime, timedelta

    from hygge.config import load_workspace
    from hygge.engine.runner import local_context
    from hygge.state.config import open_state
    from hygge.state.journal import JournalRow

    workspace = load_workspace(source=os.environ["HYGGE_WORKSPACE"])
    here = local_context()
    state = open_state(
        workspace.project.state,
        workspace.root,
        clock=here.clock,
        host=here.host,
        journal_dir=workspace.journal_dir,
        workspace=workspace.name,
        connections=workspace.project.connections,
    )
    start = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    for index in range(count):
        flow, entity = ("sales", "orders") if index % 2 == 0 else ("stock", "levels")
        state.append_journal(
            JournalRow(
                entity_run_id=f"run-{index}",
                coordinator_run_id="c",
                flow_run_id="f",
                coordinator="shop",
                flow=flow,
                entity=entity,
                start_time=start + timedelta(minutes=index),
                finish_time=start + timedelta(minutes=index, seconds=30),
                status="success",
                run_type="full_drop",
                row_count=index,
            )
        )


def test_recent_runs_come_from_the_journal_newest_first(published: PublishedWorkspace) -> None:
    append_journal_rows(5)

    everything = asyncio.run(runs_api.list_runs(list_request(limit="3")))
    sales = asyncio.run(runs_api.list_runs(list_request(flow="sales")))

    assert everything.status_code == sales.status_code == 200
    assert [r["entity_run_id"] for r in json.loads(everything.get_body())["runs"]] == [
        "run-4",
        "run-3",
        "run-2",
    ]
    assert [r["entity_run_id"] for r in json.loads(sales.get_body())["runs"]] == [
        "run-4",
        "run-2",
        "run-0",
    ]


@pytest.mark.parametrize(
    ("params", "code", "said"),
    [
        pytest.param({"limit": "0"}, 400, "limit:", id="limit-zero"),
        pytest.param({"limit": "lots"}, 400, "limit:", id="limit-text"),
        pytest.param({"flow": "nope"}, 404, "unknown flow(s) nope", id="unknown-flow"),
    ],
)
def test_recent_runs_refuse_a_bad_query(
    published: PublishedWorkspace, params: dict[str, str], code: int, said: str
) -> None:
    response = asyncio.run(runs_api.list_runs(list_request(**params)))

    assert response.status_code == code
    assert said in json.loads(response.get_body())["error"]


def test_cancel_of_a_running_run_raises_the_cancel_event_to_it_and_its_entities(
    hub: TaskHub, monkeypatch: pytest.MonkeyPatch, published: PublishedWorkspace
) -> None:
    from hygge.functions import cancel
    from hygge.functions.cancel import CANCEL_EVENT

    monkeypatch.setattr(cancel, "ACK_SECONDS", 0.0)  # this hub's run never says it heard
    progress = {"phase": "running", "running": ["sales.orders"]}
    run = hub.add("hygge-run-live", "Running", custom_status=progress)
    child = hub.add("hygge-run-live:sales.orders", "Running")

    status, answer = get(hub, "hygge-run-live", "/cancel")

    assert status == 202
    assert answer == {"id": "hygge-run-live", "cancel": "requested"}
    assert [name for name, _ in run.events] == [CANCEL_EVENT]
    assert [name for name, _ in child.events] == [CANCEL_EVENT]


def test_the_next_run_of_a_selection_takes_the_next_generation_and_keeps_the_old_one(
    hub: TaskHub, published: PublishedWorkspace
) -> None:
    status, _, _ = start(hub, post({"flows": ["sales"], "dry_run": True}))
    assert status == 202
    [first] = hub.started
    again, refused, _ = start(hub, post({"flows": ["sales"], "dry_run": True}))
    assert (again, refused["id"]) == (409, first)  # running still: its id
    hub.instances[first].status = "Completed"

    status, _, _ = start(hub, post({"dry_run": True, "flows": ["sales"]}))

    assert status == 202
    second = hub.started[-1]
    assert second == first.removesuffix("-0") + "-1"  # the same selection, one generation on
    assert hub.instances[first].status == "Completed"  # the old run's history is its own
    other, _, _ = start(hub, post({"flows": ["stock"], "dry_run": True}))
    assert other == 202 and hub.started[-1].rsplit("-", 1)[0] != first.rsplit("-", 1)[0]


def test_the_next_generation_is_found_in_a_few_reads_after_many_runs(hub: TaskHub) -> None:
    request = runs_api.RunRequest(flows=["sales"])
    stem = f"hygge-run-{runs_api.selection_hash(request)}-"
    for generation in range(13):
        hub.add(f"{stem}{generation}", "Completed")
        hub.add(f"{stem}{generation}:sales.orders", "Completed")  # its entity, not a run

    found = asyncio.run(runs_api.next_run_id(hub.client(), request))

    assert found == (f"{stem}13", False)
    assert len(hub.requests) <= 10  # probed, not listed
    hub.instances[f"{stem}12"].status = "Running"
    assert asyncio.run(runs_api.next_run_id(hub.client(), request)) == (f"{stem}12", True)
