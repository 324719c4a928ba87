"""Cancelling a run: the `hygge-cancel` event, raised to the run and to its entities in flight.

`run_workspace` and every `run_entity` wait for `CANCEL_EVENT` beside their work
(`hygge.functions.orchestrators`): a run that gets it starts no more entities (they are
journaled `not_run`); an entity that gets it stops at its next chunk boundary and keeps its
checkpoint (journaled as cancelled, as Ctrl-C does for `hygge go`), so the next run resumes it.

`request_cancel` raises the event to the run and to each entity its custom status lists as
running (`<run id>:<flow>.<entity>`). An entity the run starts in the moment between that
status and the run's own cancel is not told and runs to its end.
"""

from __future__ import annotations

import logging
from typing import Any

from hygge.functions.orchestrators import CANCEL_EVENT

__all__ = ["CANCELLABLE", "CANCEL_EVENT", "request_cancel"]

log = logging.getLogger("hygge.functions")

CANCELLABLE = ("Running", "Pending", "ContinuedAsNew")  # runtime statuses a cancel can stop


async def request_cancel(client: Any, instance_id: str) -> bool:
    """Ask the run `instance_id` to stop; False when there is no such run or it has ended."""
    status = await client.get_status(instance_id)
    if not status or _status_name(status) not in CANCELLABLE:
        return False
    await client.raise_event(instance_id, CANCEL_EVENT, {"requested": True})
    custom = getattr(status, "custom_status", None)
    running = custom.get("running", []) if isinstance(custom, dict) else []
    for name in running:
        child = f"{instance_id}:{name}"
        try:
            await client.raise_event(child, CANCEL_EVENT, {"requested": True})
        except Exception as error:  # it ended meanwhile: nothing to stop
            log.info("cancel of %s: %s not told (%s)", instance_id, child, error)
    return True


def _status_name(status: Any) -> str:
    runtime = getattr(status, "runtime_status", None)
    return str(getattr(runtime, "value", runtime or ""))
