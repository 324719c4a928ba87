"""`make demo-functions`: the Function App's code paths end to end, without the Functions host.

The Functions host and Core Tools cannot run on this machine (README, "Run it locally with
Azurite and `func start`"), so this plays the host's part the way the tests do
(tests/support/durable.py, ../AZURE-NOTES): the SDK's real Durable replay engine runs the
orchestrators episode by episode, the activities run for real against a private Azurite, and
the HTTP starters get real `func.HttpRequest`s and the SDK's real Durable client, whose
extension endpoint is answered in memory (tests/support/durable_client.py).

1. starts Azurite on 127.0.0.1 (DEMO_AZURITE_PORT, default 10400) in a temporary folder;
2. lists the app's functions and bindings (`function_app.app.get_functions()`);
3. publishes a workspace (two entities) to a container and lands parquet files;
4. POST /api/runs: a bad body (400), an unknown entity (404), a valid run (202), the same
   selection again while it runs (409);
5. drives the run: the second chunk of `orders` runs in a process of its own that is killed
   with a real SIGKILL mid-chunk; Durable delivers it again and it resumes from its
   checkpoint;
6. GET /api/runs/{id}: the run's status, per-entity rows and chunks;
7. compares landing and lake by row count and content hash, and shows the journal rows;
8. stops Azurite.

Any failed check makes the exit code 1.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.chdir(REPO)  # activity processes run `python -m tests.functions.app_shop` from here

from tests.functions.app_shop import (  # noqa: E402
    Shop,
    activity_process,
    answer,
    content_hash,
    driver,
    in_process,
    make_shop,
    wait_stopped,
)
from tests.support.azurite import AzuriteProcess, install  # noqa: E402
from tests.support.durable_client import TaskHub  # noqa: E402

ENTITIES = {"orders": (20_000, 10), "customers": (3_000, 2)}  # rows, files
CHECKPOINT_ROWS = 6_000
failures: list[str] = []


def check(ok: bool, what: str) -> None:
    print(f"  {'ok ' if ok else 'FAILED'} {what}")
    if not ok:
        failures.append(what)


def show_functions() -> None:
    import function_app

    print("\n== The app's functions and bindings (function_app.app.get_functions())")
    for function in sorted(function_app.app.get_functions(), key=lambda f: f.get_function_name()):
        bindings = json.loads(function.get_function_json())["bindings"]
        parts = []
        for binding in bindings:
            kind = binding["type"]
            detail = {
                key: binding[key]
                for key in ("route", "methods", "authLevel", "schedule", "path", "source")
                if key in binding
            }
            parts.append(f"{kind} {json.dumps(detail)}" if detail else kind)
        print(f"  {function.get_function_name():24s} {'; '.join(parts)}")


def post(hub: TaskHub, body: Any) -> tuple[int, Any]:
    import azure.functions as func

    from hygge.functions import runs_api

    request = func.HttpRequest(
        "POST", "https://app.example.net/api/runs", body=json.dumps(body).encode()
    )
    response = asyncio.run(runs_api.start_run(request, hub.client()))
    return response.status_code, json.loads(response.get_body() or b"null")


def get(hub: TaskHub, instance_id: str) -> tuple[int, Any]:
    import azure.functions as func

    from hygge.functions import runs_api

    url = f"https://app.example.net/api/runs/{instance_id}"
    request = func.HttpRequest("GET", url, route_params={"id": instance_id}, body=b"")
    response = asyncio.run(runs_api.get_run(request, hub.client()))
    return response.status_code, json.loads(response.get_body())


def call_api(hub: TaskHub) -> str:
    print("\n== POST /api/runs")
    status, body = post(hub, {"entities": ["orders"]})
    print(f"  {{'entities': ['orders']}} -> {status} {body}")
    check(status == 400, "an entity not named flow.entity is 400 naming the field")
    status, body = post(hub, {"entities": ["sales.refunds"]})
    print(f"  {{'entities': ['sales.refunds']}} -> {status} {body}")
    check(status == 404, "an unknown entity is 404 naming what exists")
    status, body = post(hub, {"flows": ["sales"]})
    print(f"  {{'flows': ['sales']}} -> {status} {json.dumps(body)[:300]}")
    check(status == 202 and "statusQueryGetUri" in json.dumps(body), "a valid run is 202")
    [run_id] = hub.started
    hub.instances[run_id].status = "Running"
    status, body = post(hub, {"flows": ["sales"]})
    print(f"  the same selection while it runs -> {status} {body}")
    check(status == 409 and run_id in json.dumps(body), "the same selection again is 409")
    return run_id


def drive(shop: Shop, hub: TaskHub, run_id: str) -> Any:
    print(f"\n== Driving {run_id} through the Durable replay engine (activities for real)")
    orders_chunks: list[int] = []
    killed: list[int] = []

    def run_activity(name: str, payload: Any) -> Any:
        is_orders_chunk = name == "move_chunk" and payload["task"]["entity"] == "orders"
        if is_orders_chunk:
            orders_chunks.append(1)
        if not is_orders_chunk or len(orders_chunks) != 2:
            return in_process(name, payload)
        dying = activity_process(name, payload, shop.env(), fault="after_stage:stop:1")
        wait_stopped(dying)
        os.kill(dying.pid, signal.SIGKILL)
        dying.wait()
        killed.append(dying.returncode)
        print(f"  move_chunk of orders (chunk 2) in pid {dying.pid}: SIGKILL mid-chunk")
        again = answer(activity_process(name, payload, shop.env()))
        rows = again["checkpoint"]["rows"]
        print(
            f"  delivered again to a new process: went on from chunk 1's checkpoint, {rows:,} rows"
        )
        return again

    replay = driver(run_activity)
    started = time.perf_counter()
    instance = replay.run("run_workspace", hub.instances[run_id].input, run_id)
    seconds = time.perf_counter() - started
    check(instance.done and instance.failed is None, f"the run completed ({seconds:.1f} s)")
    check(killed == [-signal.SIGKILL], "one activity process was killed and redelivered")
    calls: dict[str, int] = {}
    for call in replay.calls:
        calls[call.name] = calls.get(call.name, 0) + 1
    print(f"  activity calls: {calls}; orchestrator episodes: "
          f"{sum(i.episodes for i in replay.instances.values())}")  # fmt: skip
    for key, child in replay.instances.items():  # what the extension would answer for status
        state = "Completed" if child.done and child.failed is None else "Failed"
        hub.add(key, state, child.input, custom_status=child.custom_status, output=child.output)
    return instance.output


def compare(shop: Shop, summary: Any) -> None:
    print("\n== Landing vs lake (row count, sha256 of the rows sorted)")
    for entity in ENTITIES:
        source, lake = shop.source_frame(entity), shop.lake_frame(entity)
        same = content_hash(source) == content_hash(lake)
        rows, digest = content_hash(lake)
        print(f"  {entity:10s} landing {source.height:,} rows, lake {rows:,} rows, {digest[:16]}")
        check(same, f"{entity}: lake == landing by count and content hash")
    outcomes = {o["entity"]: o for o in summary["outcomes"]}
    for entity, (rows, _) in ENTITIES.items():
        outcome = outcomes[entity]
        check(outcome["status"] == "success" and outcome["rows"] == rows,
              f"{entity}: summary says success, {outcome['rows']:,} rows in "
              f"{outcome['chunks']} chunks")  # fmt: skip
    print("\n== The journal (one row per entity run)")
    for row in shop.journal_rows():
        print(f"  {row['flow']}.{row['entity']:10s} {row['status']:8s} "
              f"{row['row_count']:>7,} rows  {row['chunks']} chunks  "
              f"watermark {row['watermark_column']}={row['watermark']}  "
              f"run {row['coordinator_run_id']}")  # fmt: skip


def walk_through(connection_string: str) -> int:
    show_functions()
    shop = make_shop(connection_string)
    for name, value in shop.env().items():
        os.environ[name] = value
    os.environ["HYGGE_LANDING_CONTAINER"] = shop.landing
    shop.write_workspace(list(ENTITIES), checkpoint_rows=CHECKPOINT_ROWS)
    for entity, (rows, files) in ENTITIES.items():
        shop.land(entity, range(rows), files=files)
    landed = ", ".join(f"{e} {r:,} rows in {f} files" for e, (r, f) in ENTITIES.items())
    print(f"\n== Workspace {shop.workspace}; landing container {shop.landing}: {landed}")
    hub = TaskHub()
    run_id = call_api(hub)
    summary = drive(shop, hub, run_id)
    print(f"\n== GET /api/runs/{run_id}")
    status, body = get(hub, run_id)
    entities = body.get("entities", [])
    print(f"  {status} status={body.get('status')}")
    for entry in entities:
        print(f"    {entry['entity']:16s} {entry['state']:9s} rows={entry['rows']:,} "
              f"chunks={entry['chunks']}")  # fmt: skip
    check(status == 200 and body.get("status") == "Completed", "the run's status is Completed")
    compare(shop, summary)
    return 0


def main() -> int:
    port = int(os.environ.get("DEMO_AZURITE_PORT", "10400"))
    process = AzuriteProcess(install(), base_port=port)
    try:
        running = process.wait()
        print(f"Azurite on {running.account_url} (stopped when the demo ends)")
        walk_through(running.connection_string)
    finally:
        process.stop()
    if failures:
        print(f"\n{len(failures)} check(s) failed: {'; '.join(failures)}")
        return 1
    print("\nAll checks passed. What differs on a real Function App: README, 'Run it on Azure'.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
