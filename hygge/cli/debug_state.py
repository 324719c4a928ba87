"""What `hygge debug` says about the state folder: each state file read on its own, never fatal.

A corrupt watermark, checkpoint or lock file is a problem (the entity's next run would fail on
it); locks, interrupted runs and staging folders no checkpoint owns are notes (the next run or
`hygge reset` handles them). Every line names the file or folder and what to do.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError

from hygge.cli.orphans import orphaned_staging
from hygge.config import ResolvedEntity, Workspace
from hygge.engine import Checkpoint
from hygge.errors import HyggeError, StateError
from hygge.state.base import LockInfo, StateBackend
from hygge.state.clock import as_utc
from hygge.state.lock_rules import DEFAULT_STALE_AFTER, format_age, unlock_command
from hygge.state.lock_rules import stale_reason as lock_stale_reason
from hygge.types import Place


@dataclass
class StateReport:
    """Problems fail `hygge debug`; notes only inform."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def report_state(workspace: Workspace, state: StateBackend, now: datetime) -> StateReport:
    """Every watermark, checkpoint and lock file, and staging no checkpoint owns."""
    report = StateReport()
    known = {entity.qualified_name for entity in workspace.entities}
    for flow, name in state.stored_entities("watermarks"):
        try:
            state.get_watermark(flow, name)
        except StateError as error:
            where = state.location_of("watermarks", flow, name)
            report.problems.append(_corrupt("watermark", flow, name, where, error, known=known))
            continue
        if f"{flow}.{name}" not in known:
            report.notes.append(f"{flow}.{name} has a watermark; {removed_entity(flow, name)}")
    live = _report_locks(state, now, report, known)
    owned = _report_checkpoints(workspace, state, report, known)
    for entity in workspace.entities:
        if entity.qualified_name not in live:  # a live run may own staging not checkpointed yet
            try:
                report.notes.extend(_orphan_notes(workspace, entity, owned))
            except StateError as error:  # a staging folder linked elsewhere
                report.problems.append(str(error))
    return report


def _orphan_notes(
    workspace: Workspace, entity: ResolvedEntity, owned: dict[str, Checkpoint]
) -> list[str]:
    place = Place(
        root=workspace.root,
        flow=entity.flow,
        entity=entity.name,
        connections=workspace.project.connections,
    )
    try:
        store = entity.store.open(place)
    except HyggeError:
        return []  # reported with the entity's store check
    folders = orphaned_staging(store, owned.get(entity.qualified_name))
    return [orphan_note(entity.flow, entity.name, folder) for folder in folders]


def _report_locks(
    state: StateBackend, now: datetime, report: StateReport, known: set[str]
) -> set[str]:
    """Notes on held locks; returns the entities whose lock looks live."""
    live: set[str] = set()
    for flow, entity in state.stored_entities("locks"):
        name = f"{flow}.{entity}"
        try:
            lock = state.get_lock(flow, entity)
        except StateError as error:
            where = state.location_of("locks", flow, entity)
            report.problems.append(_corrupt("lock", flow, entity, where, error, known=known))
            continue
        if lock is None:
            continue
        stale = stale_reason(lock, now, socket.gethostname())
        if stale is None:
            live.add(name)
        if name in known:
            report.notes.append(f"{name} is locked: {describe_lock(lock, now, stale)}")
        else:  # no run of it will come to take a stale lock over
            state_of = "stale" if stale is not None else "live"
            report.notes.append(
                f"{name} is locked ({state_of}): {lock_holder(lock, now)}; "
                f"{removed_entity(flow, entity)}"
            )
    return live


def _report_checkpoints(
    workspace: Workspace, state: StateBackend, report: StateReport, known: set[str]
) -> dict[str, Checkpoint]:
    """Notes on interrupted runs, problems for unreadable checkpoints; the readable ones."""
    readable: dict[str, Checkpoint] = {}
    on_interrupted = workspace.project.options.on_interrupted
    for flow, entity in state.stored_entities("checkpoints"):
        try:
            raw = state.load_checkpoint(flow, entity)
            checkpoint = None if raw is None else Checkpoint.model_validate(raw)
        except (StateError, ValidationError) as error:
            where = state.location_of("checkpoints", flow, entity)
            report.problems.append(_corrupt("checkpoint", flow, entity, where, error, known=known))
            continue
        if checkpoint is None:
            continue  # finished between listing and reading
        readable[f"{flow}.{entity}"] = checkpoint
        if f"{flow}.{entity}" not in known:
            report.notes.append(
                f"{flow}.{entity} has an unfinished run ({checkpoint.rows:,} rows staged, run "
                f"{checkpoint.entity_run_id[:8]}) that no `hygge go` resumes or publishes any "
                f"more; "
                f"{removed_entity(flow, entity)}"
            )
            continue
        report.notes.append(
            f"{flow}.{entity} has an unfinished run ({checkpoint.rows:,} rows staged, run "
            f"{checkpoint.entity_run_id[:8]}) that the next `hygge go` will "
            f"{_next_step(checkpoint, on_interrupted)}"
        )
    return readable


def _next_step(checkpoint: Checkpoint, on_interrupted: str) -> str:
    if checkpoint.phase != "moving":
        return "finish publishing"
    if on_interrupted == "restart":
        return "discard (options.on_interrupted: restart)"
    return "resume (options.on_interrupted: resume)"


def removed_entity(flow: str, entity: str) -> str:
    """What debug says of state kept for an entity the workspace no longer has."""
    return (
        f"{flow}.{entity} is no entity of this workspace any more: "
        f"`hygge reset --orphaned -f {flow} -e {entity}` forgets its state (no store is touched)"
    )


def stale_reason(lock: LockInfo, now: datetime, host: str) -> str | None:
    """Why a new run would take the lock over, or None when its holder may be alive."""
    return lock_stale_reason(lock, now, host=host, stale_after=DEFAULT_STALE_AFTER)


def describe_lock(lock: LockInfo, now: datetime, stale: str | None) -> str:
    """Who holds a lock and whether the next run would take it over."""
    holder = lock_holder(lock, now)
    if stale is not None:
        return f"{holder}; stale ({stale}): taken over by the next run"
    return f"{holder}; live: a run is moving it now"


def lock_holder(lock: LockInfo, now: datetime) -> str:
    silence = format_age(now - as_utc(lock.heartbeat_at))
    return f"run {lock.owner} (pid {lock.pid} on {lock.host}, heartbeat {silence} ago)"


def orphan_note(flow: str, entity: str, folder: Path) -> str:
    staged = folder.iterdir() if folder.is_dir() else ()
    files = sum(1 for child in staged if not child.name.startswith("_hygge_"))  # no markers
    return (
        f"{flow}.{entity}: staging folder {folder} ({files} file{'s' if files != 1 else ''}) "
        "belongs to no checkpoint, so no run will resume or publish it; "
        f"`hygge reset -f {flow} -e {entity}` removes it"
    )


def _corrupt(
    kind: str, flow: str, entity: str, where: str, error: Exception, *, known: set[str]
) -> str:
    if NOT_HYGGES in str(error):  # a FIFO, socket or folder: its own message says what to do
        return f"{kind} of {flow}.{entity}: {error}"
    why = _first_error(error) if isinstance(error, ValidationError) else _cause(error)
    if kind == "lock":
        fix = (
            f"If no run of {flow}.{entity} is active, remove it with "
            f"`{unlock_command(flow, entity)} --force`"
        )
    elif f"{flow}.{entity}" in known:
        fix = f"`hygge reset -f {flow} -e {entity}` removes it" + _after_reset(kind, flow, entity)
    else:
        fix = (
            f"No entity of this workspace is {flow}.{entity}: "
            f"`hygge reset --orphaned -f {flow} -e {entity}` forgets its state (no store is "
            "touched)"
        )
    return (
        f"{kind} of {flow}.{entity} is corrupt: {where} ({why}); it was edited by hand or "
        f"damaged on disk. {fix}"
    )


NOT_HYGGES = "not a file hygge wrote"


def _after_reset(kind: str, flow: str, entity: str) -> str:
    if kind == "watermark":
        return f" (the next run of {flow}.{entity} then loads in full)"
    return " with the run's staged files (the next run starts afresh)"


def _cause(error: Exception) -> str:
    """The validation error behind a StateError, or its whole message."""
    cause = error.__cause__
    return _first_error(cause) if isinstance(cause, ValidationError) else str(error)


def _first_error(error: ValidationError) -> str:
    """`rows: Input should be a valid integer`: the first problem, with the field it is in."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}" if where else first["msg"]
