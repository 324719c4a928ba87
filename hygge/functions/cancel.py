"""Cancelling a run: the `hygge-cancel` event, raised to the run and to its entities in flight.

`run_workspace` and every `run_entity` wait for `CANCEL_EVENT` beside their work
(`hygge.functions.orchestrators`, `hygge.functions.chains`): a run that gets it starts no more
entities (they are journaled `not_run`); an entity that gets it starts no more chunks, waits
for the ones in flight (each ends at its chunk boundary and saves its checkpoint), and ends
cancelled with that checkpoint kept (journaled as Ctrl-C does for `hygge go`), so the next run
resumes it.

The gap this closes: an orchestrator cannot raise an event to another instance, so the client
tells every entity itself — and the run may start one more entity *after* the client looked.
The run processes its history in order: a child's completion recorded before the cancel event
resumes the fan-out, which starts the next entity, before the cancel is seen. A cancel that
told only the entities a status listed when it was asked would leave that one running to its
end. So `request_cancel` tells the run, then every active entity of the run (its custom
status's list and a query by the `<run id>:` prefix, which a status cut at 16 KB does not
limit), then waits (up to `ACK_SECONDS`) until the run's status says it heard the cancel —
from then on it starts no entity — and tells the entities again: any started meanwhile hears
it now, and stops at its next chunk boundary.

The events are fast but can be missed; the cancel marker the HTTP cancel writes first
(`hygge.functions.cancel_marker`) cannot: every begin and move_chunk of the run reads it.

A Suspended run is cancelled too: the event is raised (Durable keeps it while the instance is
suspended) and the run resumed, so it processes the cancel and its entities stop with their
checkpoints kept; it does not go on with new work. (Terminating it instead would leave its
entities' checkpoints and journal rows unwritten.)
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from hygge.functions.orchestrators import CANCEL_EVENT

__all__ = ["ACK_SECONDS", "CANCELLABLE", "CANCEL_EVENT", "request_cancel"]

log = logging.getLogger("hygge.functions")

CANCELLABLE = ("Running", "Pending", "ContinuedAsNew", "Suspended")  # a cancel can stop these
ACK_SECONDS = 20.0  # how long a cancel waits for the run to say it heard it (HTTP cuts at 230 s)
POLL_SECONDS = 0.5
_ACTIVE_CHILD = ("Running", "Pending", "ContinuedAsNew", "Suspended")


async def request_cancel(
    client: Any, instance_id: str, *, ack_seconds: float | None = None
) -> bool:
    """Ask the run `instance_id` to stop; False when there is no such run or it has ended.
    `ack_seconds`: how long to wait for the run to hear it (None: `ACK_SECONDS`)."""
    status = await client.get_status(instance_id)
    state = _status_name(status) if status else ""
    if state not in CANCELLABLE:
        return False
    await client.raise_event(instance_id, CANCEL_EVENT, {"requested": True})
    if state == "Suspended":
        await client.resume(instance_id, "hygge: cancel requested")
        log.info("run %s was suspended: resumed so it processes the cancel", instance_id)
    told: set[str] = set()
    await _tell_entities(client, instance_id, status, told)
    wait = ACK_SECONDS if ack_seconds is None else ack_seconds
    heard = await _wait_heard(client, instance_id, wait)
    await _tell_entities(client, instance_id, heard, told)
    return True


async def _wait_heard(client: Any, instance_id: str, seconds: float) -> Any:
    """The run's status once it heard the cancel or ended (or when `seconds` passed)."""
    deadline = time.monotonic() + seconds
    while True:
        status = await client.get_status(instance_id)
        if not status or _heard(status) or _status_name(status) not in CANCELLABLE:
            return status
        if time.monotonic() >= deadline:
            log.warning(
                "cancel of %s: the run has not said it heard the cancel after %.0fs; the "
                "entities active now were told; one it starts later stops at its first chunk "
                "(the cancel marker)",
                instance_id,
                seconds,
            )
            return status
        await asyncio.sleep(POLL_SECONDS)


def _heard(status: Any) -> bool:
    custom = getattr(status, "custom_status", None)
    return isinstance(custom, dict) and custom.get("cancelled") is True


async def _tell_entities(client: Any, instance_id: str, status: Any, told: set[str]) -> None:
    """Raise the cancel to every active entity of the run not told yet."""
    custom = getattr(status, "custom_status", None) if status else None
    listed = custom.get("running", []) if isinstance(custom, dict) else []
    children = {f"{instance_id}:{name}" for name in listed if isinstance(name, str)}
    try:
        found = await client.get_status_by(instance_id_prefix=f"{instance_id}:")
    except Exception as error:  # the status list above still names those in flight
        log.warning("cancel of %s: the entities could not be listed (%s)", instance_id, error)
        found = []
    for child in found or ():
        if _status_name(child) in _ACTIVE_CHILD and child.instance_id:
            children.add(child.instance_id)
    for child_id in sorted(children - told):
        told.add(child_id)
        try:
            await client.raise_event(child_id, CANCEL_EVENT, {"requested": True})
        except Exception as error:  # it ended meanwhile: nothing to stop
            log.info("cancel of %s: %s not told (%s)", instance_id, child_id, error)


def _status_name(status: Any) -> str:
    runtime = getattr(status, "runtime_status", None)
    return str(getattr(runtime, "value", runtime or ""))
