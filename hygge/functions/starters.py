"""The starters: the functions that start `run_workspace` runs (blueprint `bp`).

    start_run_on_schedule  timer `%HYGGE_SCHEDULE%` (UTC)   → instance hygge-timer-<slot>
    start_run_on_http      POST /api/runs                   → hygge-run-<selection>-<n>
    get_run_on_http        GET  /api/runs/{id}
    cancel_run_on_http     POST /api/runs/{id}/cancel
    list_runs_on_http      GET  /api/runs
    start_run_on_blob      Event Grid blob trigger on `%HYGGE_LANDING_CONTAINER%`
                                                            → instance hygge-landing-<flow>.<entity>

None of them imports polars or pyarrow (`GET /api/runs` does, when called: the journal is
parquet). A timer slot starts at most one run however often it fires; a landing run is a
singleton per entity, and arrivals during it are raised to it as an event (`landing.py`).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from hygge.errors import ConfigError
from hygge.functions import runs_api
from hygge.functions.catalog import load_catalog
from hygge.functions.contracts import RunInput, RunRequest
from hygge.functions.landing import (
    LANDING_EVENT,
    entities_for_key,
    landing_instance_id,
    landing_key,
)
from hygge.functions.schedule import parse_schedule, slot_name, slot_of
from hygge.functions.settings import LANDING_CONNECTION, read_settings
from hygge.functions.telemetry import run_context

log = logging.getLogger("hygge.functions")

TIMER_PREFIX = "hygge-timer-"
BLOB_CONNECTION = LANDING_CONNECTION

bp = df.Blueprint()


@bp.timer_trigger(schedule="%HYGGE_SCHEDULE%", arg_name="timer", run_on_startup=False)
@bp.durable_client_input(client_name="client")
async def start_run_on_schedule(timer: func.TimerRequest, client: Any) -> None:
    await run_on_schedule(timer, client)


@bp.route(route="runs", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def start_run_on_http(req: func.HttpRequest, client: Any) -> func.HttpResponse:
    return await runs_api.start_run(req, client)


@bp.route(route="runs/{id}", methods=["GET"])
@bp.durable_client_input(client_name="client")
async def get_run_on_http(req: func.HttpRequest, client: Any) -> func.HttpResponse:
    return await runs_api.get_run(req, client)


@bp.route(route="runs/{id}/cancel", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def cancel_run_on_http(req: func.HttpRequest, client: Any) -> func.HttpResponse:
    return await runs_api.cancel_run(req, client)


@bp.route(route="runs", methods=["GET"])
async def list_runs_on_http(req: func.HttpRequest) -> func.HttpResponse:
    return await runs_api.list_runs(req)


@bp.blob_trigger(
    arg_name="blob",
    path="%HYGGE_LANDING_CONTAINER%/{name}",
    connection=BLOB_CONNECTION,
    source=func.BlobSource.EVENT_GRID,
)
@bp.durable_client_input(client_name="client")
async def start_run_on_blob(blob: func.InputStream, client: Any) -> None:
    await run_on_blob(blob.name or "", client)


async def run_on_schedule(
    timer: func.TimerRequest, client: Any, now: datetime | None = None
) -> str | None:
    """Start the run of this schedule slot unless one was started; its id, or None."""
    settings = read_settings()
    moment = now or datetime.now(UTC)
    slot = slot_of(parse_schedule(settings.schedule), moment)
    instance_id = f"{TIMER_PREFIX}{slot_name(slot)}"
    with run_context(run_id=instance_id):
        existing = await client.get_status(instance_id)
        if existing:
            log.info(
                "schedule slot %s already has run %s (%s): not starting another",
                slot_name(slot),
                instance_id,
                runs_api.state_of(existing),
            )
            return None
        if timer.past_due:
            log.warning("the timer fired late for slot %s; starting its run now", slot_name(slot))
        run_input = RunInput(request=RunRequest(), trigger="timer", requested_at=_iso(moment))
        try:
            await client.start_new(
                runs_api.ORCHESTRATOR, instance_id, run_input.model_dump(mode="json")
            )
        except Exception:  # the SDK raises a bare Exception; another fire may have won
            if await client.get_status(instance_id):
                log.info("another fire of slot %s started %s first", slot_name(slot), instance_id)
                return None
            raise
        log.info("started the scheduled run %s", instance_id)
    return instance_id


async def run_on_blob(name: str, client: Any, now: datetime | None = None) -> list[str]:
    """Start or signal the landing run of each entity whose home covers the blob; the ids."""
    settings = read_settings()
    key, why = landing_key(name, settings.landing_container)
    if key is None:
        log.warning("ignored landing blob %r: %s", name, why)
        return []
    try:
        catalog = load_catalog(settings)
    except ConfigError as exc:
        log.error("landing blob %s: the workspace cannot be loaded, so no run starts: %s", key, exc)
        raise
    homes = entities_for_key(catalog.landing, key)
    if not homes:
        log.info(
            "landing blob %s is under no entity's home (%d homes read from %s); ignored",
            key,
            len(catalog.landing),
            settings.landing_container,
        )
        return []
    started = []
    for home in homes:
        instance_id = landing_instance_id(home.qualified_name)
        with run_context(run_id=instance_id, flow=home.flow, entity=home.qualified_name):
            await _land(client, instance_id, home.qualified_name, key, now or datetime.now(UTC))
        started.append(instance_id)
    return started


async def _land(client: Any, instance_id: str, entity: str, key: str, now: datetime) -> None:
    """One entity's singleton: signal it when active, else (re)start it."""
    if await _signal(client, instance_id, key):
        return
    run_input = RunInput(
        request=RunRequest(entities=[entity]),
        trigger="blob",
        requested_at=_iso(now),
        landing_paths=[key],
    )
    try:
        await client.start_new(
            runs_api.ORCHESTRATOR, instance_id, run_input.model_dump(mode="json")
        )
    except Exception:  # the SDK raises a bare Exception; another arrival may have started it
        if await _signal(client, instance_id, key):
            return
        raise
    log.info("landing blob %s: started run %s", key, instance_id)


async def _signal(client: Any, instance_id: str, key: str) -> bool:
    """Raise the arrival to the entity's landing run if it is active; whether it was."""
    status = await client.get_status(instance_id)
    if status and runs_api.state_of(status) in runs_api.ACTIVE:
        try:
            await client.raise_event(instance_id, LANDING_EVENT, key)
        except Exception as exc:  # the SDK raises a bare Exception when the run just ended
            log.info("landing run %s ended as %s arrived (%s)", instance_id, key, exc)
            return False
        log.info(
            "landing blob %s: run %s is active; raised %s to it", key, instance_id, LANDING_EVENT
        )
        return True
    return False


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")
