"""The durable half of a cancel: a marker blob per cancelled run, that no entity can miss.

`POST /api/runs/{id}/cancel` writes `<workspace prefix>/.hygge/cancels/<run id>.json` (beside
the workspace, in the folder its default state uses) *before* it raises any event. The begin
and move_chunk activities read it once per call (`cancel_requested`) before they touch the
entity: a marker of their run makes begin begin nothing (the entity ends `not_run`, cancelled
before it started) and move_chunk move nothing (it returns the stored checkpoint; the entity
ends cancelled with that checkpoint kept) — what the `hygge-cancel` event does, so an entity
the run starts after the client's sweep, or one that never hears the event, stops at its
first chunk boundary all the same.

A marker names one run id: a run started later has another id and never reads it; a run
that reuses an id (a landing run, `hygge-landing-<entity>`) ignores a marker written before it
was requested (`since`: the run's `requested_at`). The summary activity deletes its run's
marker when the run ends, and any marker older than `MAX_AGE` (a summary that crashed); a
marker left over from a finished run is harmless. A marker that cannot be read, or is not
hygge's (more than `MAX_BYTES`, not a JSON object naming its time, or one naming another
run: a copy under this run's name), counts as no marker, whether or not the run names a `since`:
the event still reaches the entity (the cancel is best effort only where storage is down).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from hygge.config.blob_workspace import ACCOUNT_URL_VARIABLE, CONNECTION_VARIABLE, STATE_FOLDER
from hygge.config.source import StorageWorkspaceSource, open_workspace_source
from hygge.errors import HyggeError
from hygge.storage import join_key

__all__ = ["MAX_AGE", "cancel_requested", "clear_markers", "marker_key", "write_marker"]

log = logging.getLogger("hygge.functions")

FOLDER = "cancels"
MAX_AGE = timedelta(days=7)  # markers older than this are deleted by any run's summary
MAX_BYTES = 64 << 10  # a marker hygge writes is ~100 bytes: a bigger blob is none of hygge's


def marker_key(prefix: str, run_id: str) -> str:
    """The marker's key in the workspace's container."""
    if not run_id or "/" in run_id or run_id.startswith("."):
        raise ValueError(f"'{run_id}' is not a run id")
    return join_key(prefix, STATE_FOLDER, FOLDER, f"{run_id}.json")


_sources: dict[tuple[str, ...], StorageWorkspaceSource] = {}


def _source(workspace: str, env: Mapping[str, str] | None) -> StorageWorkspaceSource:
    """The workspace's container (one client per workspace and account in a worker)."""
    env = os.environ if env is None else env
    key = (workspace, *(env.get(name, "") for name in (CONNECTION_VARIABLE, ACCOUNT_URL_VARIABLE)))
    found = _sources.get(key)
    if found is None:
        source = open_workspace_source(workspace, env)
        if not isinstance(source, StorageWorkspaceSource):  # settings allow only az://
            raise ValueError(f"{workspace} is no blob workspace")
        found = _sources[key] = source
    return found


def write_marker(workspace: str, run_id: str, env: Mapping[str, str] | None = None) -> str:
    """Record that run `run_id` is cancelled; where the marker is."""
    source = _source(workspace, env)
    key = marker_key(source.prefix, run_id)
    body = {"run_id": run_id, "requested_at": datetime.now(UTC).isoformat()}
    source.storage.put(key, json.dumps(body).encode())
    return source.storage.describe(key)


def cancel_requested(
    workspace: str, run_id: str, env: Mapping[str, str] | None = None, *, since: str = ""
) -> bool:
    """Whether run `run_id` has a cancel marker written at or after `since` (the run's
    `requested_at`: a marker from before it is an earlier execution's of a reused id, a
    landing run's). One read; unreadable: False, logged."""
    try:
        source = _source(workspace, env)
        with source.storage.open_read(marker_key(source.prefix, run_id)) as handle:
            body = handle.read(MAX_BYTES + 1)
        if len(body) > MAX_BYTES:
            raise ValueError(f"it holds more than {MAX_BYTES:,} bytes: not a hygge marker")
        found = json.loads(body)
        if not isinstance(found, dict) or found.get("run_id", run_id) != run_id:
            raise ValueError("it is not a JSON object naming this run")
        moment = _moment(str(found.get("requested_at", "")))  # (checked with or without `since`)
        return not since or moment >= _moment(since)
    except FileNotFoundError:
        return False
    except (HyggeError, OSError, ValueError, AttributeError, RecursionError) as error:
        log.warning("the cancel marker of run %s could not be read (%s)", run_id, error)
        return False


def _moment(text: str) -> datetime:
    """An ISO time, UTC when it names no zone (ValueError when it is none)."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def clear_markers(workspace: str, run_id: str, env: Mapping[str, str] | None = None) -> int:
    """Delete run `run_id`'s marker and every marker older than `MAX_AGE`; how many."""
    try:
        source = _source(workspace, env)
        folder = join_key(source.prefix, STATE_FOLDER, FOLDER)
        mine = marker_key(source.prefix, run_id)
        oldest = (datetime.now(UTC) - MAX_AGE).timestamp() * 1e9
        gone = [
            info.key
            for info in source.storage.list(folder)
            if info.key == mine or info.mtime_ns < oldest
        ]
        for key in gone:
            source.storage.delete(key)
        return len(gone)
    except (HyggeError, OSError, ValueError) as error:
        log.warning("the cancel markers could not be cleaned up (%s)", error)
        return 0
