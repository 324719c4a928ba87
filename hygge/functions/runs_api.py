"""The HTTP API of runs, as plain async functions of a request and a Durable client.

    POST /api/runs               {flows?, entities?, run_type?, dry_run?} → 202 + status URLs
                                 400 bad body (names the field) · 404 unknown names (lists
                                 what exists) · 409 the same selection is running (its id)
    GET  /api/runs/{id}          status, progress, per-entity state/rows/chunks, summary
    POST /api/runs/{id}/cancel   entities stop at a chunk boundary, checkpoint kept → 202
    GET  /api/runs               recent entity runs from the journal (?limit=, ?flow=, ?entity=)

Responses are JSON. `starters.py` binds these to routes; tests call them with real
`func.HttpRequest` objects and a fake client.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

import azure.functions as func
from pydantic import ValidationError

from hygge.errors import ConfigError, HyggeError
from hygge.functions.catalog import UnknownNamesError, check_names, load_catalog
from hygge.functions.contracts import RunInput, RunRequest
from hygge.functions.settings import read_settings
from hygge.functions.telemetry import run_context

log = logging.getLogger("hygge.functions")

ORCHESTRATOR = "run_workspace"
RUN_PREFIX = "hygge-run-"
ACTIVE = ("Running", "Pending", "ContinuedAsNew", "Suspended")
_INSTANCE_ID = re.compile(r"hygge-[A-Za-z0-9_.:\-]{1,200}")  # fullmatch: `$` lets a "\n" end
MAX_LIMIT = 500


def json_response(status: int, body: Any) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps(body, default=_plain), status_code=status, mimetype="application/json"
    )


def _plain(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def error_response(status: int, message: str, **extra: Any) -> func.HttpResponse:
    return json_response(status, {"error": message, **extra})


def parse_run_request(body: bytes) -> RunRequest:
    """The request body as a RunRequest; ValueError with `field: reason` lines."""
    text = body.decode("utf-8", errors="strict").strip() if body else ""
    try:
        request = RunRequest.model_validate_json(text or "{}", strict=True)
    except ValidationError as exc:
        raise ValueError("; ".join(_reason(error) for error in exc.errors())) from exc
    for field in ("flows", "entities"):
        names = getattr(request, field)
        if names is None:
            continue
        if not names:
            raise ValueError(f"{field}: the list is empty; leave {field} out to run all")
        for index, name in enumerate(names):
            if not name.strip() or name != name.strip():
                raise ValueError(f"{field}[{index}]: '{name}' is empty or padded with spaces")
            if field == "entities" and name.count(".") != 1:
                raise ValueError(f"entities[{index}]: '{name}' is not flow.entity")
        setattr(request, field, list(dict.fromkeys(names)))
    return request


def _reason(error: Any) -> str:
    where = "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"]
    ).lstrip(".")
    if error["type"] == "extra_forbidden":
        return f"{where}: unknown field (known: flows, entities, run_type, dry_run)"
    if error["type"] in ("json_invalid", "json_type"):
        return f"body: not a JSON object ({error['msg']})"
    if error["type"] == "model_type" or not where:
        return "body: must be a JSON object"
    return f"{where}: {error['msg']}"


def selection_key(request: RunRequest) -> tuple[Any, ...]:
    """Two requests asking the same: order and duplicates of names do not matter."""
    return (
        tuple(sorted(request.flows)) if request.flows is not None else None,
        tuple(sorted(request.entities)) if request.entities is not None else None,
        request.run_type,
        request.dry_run,
    )


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


async def start_run(req: func.HttpRequest, client: Any) -> func.HttpResponse:
    """POST /api/runs."""
    try:
        request = parse_run_request(req.get_body())
    except (ValueError, UnicodeDecodeError) as exc:
        return error_response(400, f"bad request body: {exc}")
    try:
        settings = read_settings()
        catalog = load_catalog(settings)
        check_names(catalog, request.flows, request.entities)
    except UnknownNamesError as exc:
        return error_response(
            404,
            exc.detail,
            unknown_flows=exc.flows,
            unknown_entities=exc.entities,
            flows=catalog.flows,
        )
    except ConfigError as exc:
        log.error("the workspace cannot be loaded: %s", exc)
        return error_response(500, f"the app's workspace or settings are wrong: {exc}")
    running = await find_running(client, request)
    if running is not None:
        return _already_running(running)
    return await _start(req, client, request)


async def _start(req: func.HttpRequest, client: Any, request: RunRequest) -> func.HttpResponse:
    """Start the selection's next run, or answer 409 with the id of the one running."""
    instance_id, active = await next_run_id(client, request)
    if active:
        return _already_running(instance_id)
    run_input = RunInput(request=request, trigger="http", requested_at=utc_now())
    with run_context(run_id=instance_id):
        try:
            await client.start_new(ORCHESTRATOR, instance_id, run_input.model_dump(mode="json"))
        except Exception:  # the SDK raises a bare Exception: a racing POST started that id
            status = await client.get_status(instance_id)
            if status and state_of(status) in ACTIVE:
                log.info("run %s was started by a racing request: 409", instance_id)
                return _already_running(instance_id)
            raise
        log.info("started run %s for %s", instance_id, describe(request))
    response: func.HttpResponse = client.create_check_status_response(req, instance_id)
    return response


def _already_running(instance_id: str) -> func.HttpResponse:
    return error_response(
        409, f"a run of the same selection is already running: {instance_id}", id=instance_id
    )


def selection_hash(request: RunRequest) -> str:
    """16 hex digits naming a selection (`selection_key`): the stem of its runs' ids."""
    key = json.dumps(selection_key(request), default=str)
    return hashlib.sha256(f"hygge-selection:{key}".encode()).hexdigest()[:16]


async def next_run_id(client: Any, request: RunRequest) -> tuple[str, bool]:
    """The id of the selection's run: `hygge-run-<selection hash>-<generation>`.

    The newest generation's id (and True) while it is active, else the next one's, so a
    finished run's history and status URL stay its own. The newest is found by probing ids
    (1, 2, 4 … then halving: a few status reads however many runs there were; a query by
    prefix would list every entity's sub-orchestration too). Two POSTs racing compute the same
    id, and Durable starts one instance per id (host.json `overridableExistingInstanceStates:
    NonRunningStates`): the other's start fails, and it answers 409 with that id.
    """
    stem = f"{RUN_PREFIX}{selection_hash(request)}-"
    seen: dict[int, Any] = {}

    async def exists(generation: int) -> bool:
        seen[generation] = await client.get_status(f"{stem}{generation}")
        return bool(seen[generation])

    if not await exists(0):
        return f"{stem}0", False
    low, high = 0, 1
    while await exists(high):
        low, high = high, high * 2
    while high - low > 1:  # low exists, high does not
        middle = (low + high) // 2
        if await exists(middle):
            low = middle
        else:
            high = middle
    if state_of(seen[low]) in ACTIVE:
        return f"{stem}{low}", True
    return f"{stem}{low + 1}", False


def describe(request: RunRequest) -> str:
    parts = [f"flows {', '.join(request.flows)}"] if request.flows else []
    parts += [f"entities {', '.join(request.entities)}"] if request.entities else []
    text = " and ".join(parts) or "the whole workspace"
    return text + (" (dry run)" if request.dry_run else "")


async def find_running(client: Any, request: RunRequest) -> str | None:
    """The id of an active HTTP or timer run asking the same selection, if any."""
    wanted = selection_key(request)
    statuses = await client.get_status_by(runtime_status=_active_statuses())
    for status in statuses or ():
        instance_id = status.instance_id or ""
        if not instance_id.startswith("hygge-") or ":" in instance_id:
            continue  # not ours, or an entity's sub-orchestration
        given = status.input_
        if given is None:
            full = await client.get_status(instance_id, show_input=True)
            given = full.input_ if full else None
        their = _request_of(given)
        if their is not None and selection_key(their) == wanted:
            return instance_id
    return None


def _active_statuses() -> list[Any]:
    from azure.durable_functions import OrchestrationRuntimeStatus

    return [OrchestrationRuntimeStatus(name) for name in ACTIVE]


def _request_of(given: Any) -> RunRequest | None:
    try:
        data = json.loads(given) if isinstance(given, str) else given
        return RunInput.model_validate(data).request
    except (ValueError, TypeError):
        return None  # not one of hygge's run inputs


def state_of(status: Any) -> str | None:
    runtime = status.runtime_status
    value = getattr(runtime, "value", runtime)
    return str(value) if value is not None else None


async def get_run(req: func.HttpRequest, client: Any) -> func.HttpResponse:
    """GET /api/runs/{id}: the run's state, progress, entities and (when done) summary."""
    instance_id = req.route_params.get("id", "")
    if not _INSTANCE_ID.fullmatch(instance_id) or ":" in instance_id:
        return error_response(400, f"id: '{instance_id}' is not a hygge run id (hygge-…)")
    status = await client.get_status(instance_id)
    if not status:
        return error_response(404, f"no run with id {instance_id}")
    output = _loads(status.output)
    entities = await _entity_states(client, instance_id, output)
    return json_response(
        200,
        {
            "id": instance_id,
            "status": state_of(status),
            "created": status.created_time,
            "last_updated": status.last_updated_time,
            "progress": _loads(status.custom_status),
            "entities": entities,
            "summary": output if isinstance(output, dict) else None,
            "error": output if state_of(status) == "Failed" else None,
        },
    )


async def _entity_states(client: Any, instance_id: str, output: Any) -> list[dict[str, Any]]:
    """Per entity: its outcome once the run summarised, else its sub-orchestration's state."""
    if isinstance(output, dict) and isinstance(output.get("outcomes"), list):
        return [
            {
                "entity": f"{o.get('flow')}.{o.get('entity')}",
                "state": o.get("status"),
                "rows": o.get("rows", 0),
                "chunks": o.get("chunks", 0),
                "message": o.get("message"),
            }
            for o in output["outcomes"]
            if isinstance(o, dict)
        ]
    children = await client.get_status_by(instance_id_prefix=f"{instance_id}:")
    states = []
    for child in children or ():
        progress = _loads(child.custom_status)
        progress = progress if isinstance(progress, dict) else {}
        states.append(
            {
                "entity": (child.instance_id or "").partition(":")[2],
                "state": state_of(child),
                "rows": progress.get("rows", 0),
                "chunks": progress.get("chunks", 0),
                "progress": progress or None,
            }
        )
    return sorted(states, key=lambda item: str(item["entity"]))


def _loads(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


async def cancel_run(req: func.HttpRequest, client: Any) -> func.HttpResponse:
    """POST /api/runs/{id}/cancel: ask the run's entities to stop at a chunk boundary."""
    instance_id = req.route_params.get("id", "")
    if not _INSTANCE_ID.fullmatch(instance_id) or ":" in instance_id:
        return error_response(400, f"id: '{instance_id}' is not a hygge run id (hygge-…)")
    status = await client.get_status(instance_id)
    if not status:
        return error_response(404, f"no run with id {instance_id}")
    if state_of(status) not in ACTIVE:
        return error_response(409, f"run {instance_id} is {state_of(status)}, not running")
    from hygge.functions.cancel import request_cancel  # the orchestrations check what it sets
    from hygge.functions.cancel_marker import write_marker  # the activities check this one

    with run_context(run_id=instance_id):
        try:
            settings = read_settings()
            marker = await asyncio.to_thread(write_marker, settings.workspace, instance_id)
        except (HyggeError, OSError) as exc:
            return error_response(
                503,
                f"the cancel marker of run {instance_id} could not be written ({exc}); "
                "nothing was cancelled: call cancel again",
            )
        log.info("cancel of run %s: marker written at %s", instance_id, marker)
        accepted = await request_cancel(client, instance_id)
        log.info("cancel of run %s requested (accepted: %s)", instance_id, accepted)
    if not accepted:
        return error_response(409, f"run {instance_id} ended before the cancel reached it")
    return json_response(202, {"id": instance_id, "cancel": "requested"})


async def list_runs(req: func.HttpRequest) -> func.HttpResponse:
    """GET /api/runs: the journal's newest entity runs (reads parquet: imports polars)."""
    try:
        limit = int(req.params.get("limit", "20"))
    except ValueError:
        limit = -1
    if not 1 <= limit <= MAX_LIMIT:
        return error_response(400, f"limit: must be a whole number from 1 to {MAX_LIMIT}")
    flows = [name for name in req.params.get("flow", "").split(",") if name]
    entities = [name for name in req.params.get("entity", "").split(",") if name]
    try:
        settings = read_settings()
        catalog = load_catalog(settings)
        check_names(catalog, flows, entities)
        from hygge.functions.journal_api import recent_runs

        rows = recent_runs(settings, flows, entities, limit)
    except UnknownNamesError as exc:
        return error_response(404, exc.detail, flows=catalog.flows)
    except ConfigError as exc:
        return error_response(500, f"the app's workspace or settings are wrong: {exc}")
    return json_response(200, {"runs": rows})
