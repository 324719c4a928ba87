"""The app the Functions host indexes: exactly these functions, triggers, routes and keys; and
the starters' import path stays light (no polars, no pyarrow)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import azure.functions as func
import pytest

from hygge.functions.app import build_app
from tests.functions.conftest import PublishedWorkspace
from tests.support.durable_client import TaskHub

ROOT = Path(__file__).resolve().parents[2]

# name -> (trigger type, the trigger's telling fields, durable client bound)
STARTERS: dict[str, tuple[str, dict[str, Any], bool]] = {
    "start_run_on_schedule": (
        "timerTrigger",
        {"schedule": "%HYGGE_SCHEDULE%", "runOnStartup": False},
        True,
    ),
    "start_run_on_http": ("httpTrigger", {"route": "runs", "methods": ["POST"]}, True),
    "get_run_on_http": ("httpTrigger", {"route": "runs/{id}", "methods": ["GET"]}, True),
    "cancel_run_on_http": ("httpTrigger", {"route": "runs/{id}/cancel", "methods": ["POST"]}, True),
    "list_runs_on_http": ("httpTrigger", {"route": "runs", "methods": ["GET"]}, False),
    "start_run_on_blob": (
        "blobTrigger",
        {
            "path": "%HYGGE_LANDING_CONTAINER%/{name}",
            "connection": "HyggeLandingStorage",
            "source": "EventGrid",
        },
        True,
    ),
}


def indexed() -> dict[str, Any]:
    """Each function's bindings as the host reads them (function.json-style dicts)."""
    functions = build_app().get_functions()
    return {f.get_function_name(): json.loads(f.get_function_json()) for f in functions}


ORCHESTRATORS = ("run_workspace", "run_entity")
ACTIVITIES = ("plan", "begin", "move_chunk", "commit", "abort", "summary")


def test_the_app_holds_exactly_the_starters_orchestrators_and_activities() -> None:
    assert sorted(indexed()) == sorted([*STARTERS, *ORCHESTRATORS, *ACTIVITIES])


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        *((name, "orchestrationTrigger") for name in ORCHESTRATORS),
        *((name, "activityTrigger") for name in ACTIVITIES),
    ],
)
def test_orchestrators_and_activities_have_only_their_durable_trigger(name: str, kind: str) -> None:
    bindings = indexed()[name]["bindings"]

    assert [b["type"] for b in bindings] == [kind]


def test_only_the_http_starters_are_http_functions_and_all_need_a_function_key() -> None:
    http = [f for f in build_app().get_functions() if f.is_http_function()]

    assert sorted(f.get_function_name() for f in http) == sorted(
        name for name, (kind, _, _) in STARTERS.items() if kind == "httpTrigger"
    )


@pytest.mark.parametrize("name", sorted(STARTERS))
def test_each_starter_has_its_trigger_route_and_client(name: str) -> None:
    kind, fields, with_client = STARTERS[name]
    bindings = indexed()[name]["bindings"]
    [trigger] = [b for b in bindings if b["type"].endswith("Trigger")]
    clients = [b for b in bindings if b["type"] == "durableClient"]

    assert trigger["type"] == kind
    assert {key: trigger[key] for key in fields} == fields
    assert len(clients) == (1 if with_client else 0)
    if kind == "httpTrigger":
        assert trigger["authLevel"] == "FUNCTION"  # as the worker serialises AuthLevel.FUNCTION
        assert [b["type"] for b in bindings if b["direction"] == "OUT"] == ["http"]


def test_function_app_py_only_wires_build_app() -> None:
    code = (ROOT / "function_app.py").read_text()
    statements = [line for line in code.splitlines() if line and not line.startswith(('"', "#"))]

    assert statements == ["from hygge.functions.app import build_app", "app = build_app()"]


def test_the_registered_blob_starter_reads_the_blob_name_from_the_trigger(
    hub: TaskHub, published: PublishedWorkspace
) -> None:
    [function] = [
        f for f in build_app().get_functions() if f.get_function_name() == "start_run_on_blob"
    ]
    user_code = function.get_user_function().client_function
    blob = func.blob.InputStream(
        data=b"", name=f"{published.landing}/sales/orders/x.parquet", length=0
    )

    asyncio.run(user_code(blob=blob, client=hub.client()))

    assert hub.started == ["hygge-landing-sales.orders"]


IMPORT_PROBE = """
import asyncio, json, sys, time
t0 = time.perf_counter()
import function_app
t1 = time.perf_counter()
import azure.functions as func
from azure.functions import meta
from azure.functions.timer import TimerRequestConverter
from hygge.functions import runs_api, starters
from tests.support.durable_client import TaskHub

hub = TaskHub()
timer = TimerRequestConverter.decode(meta.Datum(json.dumps({"IsPastDue": False}), "json"),
                                     trigger_metadata={})
asyncio.run(starters.run_on_schedule(timer, hub.client()))
post = func.HttpRequest("POST", "http://x/api/runs", body=b'{"flows": ["sales"]}')
assert asyncio.run(runs_api.start_run(post, hub.client())).status_code == 202
run_id = hub.started[-1]
get = func.HttpRequest("GET", "http://x/api/runs/" + run_id, route_params={"id": run_id}, body=b"")
assert asyncio.run(runs_api.get_run(get, hub.client())).status_code == 200
asyncio.run(starters.run_on_blob(sys.argv[1] + "/sales/orders/x.parquet", hub.client()))
assert len(hub.started) == 3, hub.started
hub.instances[run_id].status = "Running"
cancel = func.HttpRequest("POST", "http://x/api/runs/" + run_id + "/cancel",
                          route_params={"id": run_id}, body=b"")
assert asyncio.run(runs_api.cancel_run(cancel, hub.client())).status_code == 202
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("polars", "pyarrow", "deltalake"))
print(json.dumps({"heavy": heavy, "import_seconds": t1 - t0}))
"""


def test_importing_the_app_and_running_each_starter_imports_no_polars_or_pyarrow(
    published: PublishedWorkspace,
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE, published.landing],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["heavy"] == []
