"""`hygge reset --orphaned`: forget the state of an entity no longer in the workspace.

Only hygge's own records go (watermark, checkpoint, lookback margin, loaded files, the record of
its last reset), under the entity's lock.
Nothing in any store is touched: with the entity gone from the workspace, hygge no longer knows
its store, so the staged files of an interrupted run stay where they are. The journal is kept.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

import typer
from rich.console import Console
from rich.text import Text

from hygge.cli.console import EXIT_FAILED, EXIT_OK
from hygge.cli.entity_names import check_argument_names, unknown_entity_error, workspace_has
from hygge.config import Workspace
from hygge.errors import ConfigError, EntityLockedError, HyggeError, StateError
from hygge.state.base import StateBackend, StateKind
from hygge.wording import counted

log = logging.getLogger("hygge.cli")


@dataclass(frozen=True)
class OrphanedState:
    """What hygge still keeps for `flow.entity`, an entity the workspace no longer has."""

    flow: str
    entity: str
    records: list[str] = field(default_factory=list)  # "watermark", "unreadable checkpoint", …
    staging: str | None = None  # where its interrupted run staged files (left in place)

    @property
    def name(self) -> str:
        return f"{self.flow}.{self.entity}"


def orphaned_names(flows: Sequence[str], entities: Sequence[str]) -> list[tuple[str, str]]:
    """(flow, entity) pairs from `--entity FLOW.ENTITY`, or `--entity ENTITY` with one --flow."""
    if not entities:
        raise ConfigError(
            "--orphaned needs the entities by name",
            hint="e.g. `hygge reset --orphaned -f old -e gone` (`hygge debug` lists state of "
            "entities no longer in the workspace)",
        )
    pairs = orphaned_names_or_none(flows, entities)
    if len(pairs) < len(entities):
        raise ConfigError(
            "--orphaned: say which flow each entity was in, as FLOW.ENTITY or with one --flow"
        )
    return pairs


KINDS: tuple[StateKind, ...] = ("watermarks", "checkpoints", "locks")


def check_entity_arguments(
    workspace: Workspace, state: StateBackend, entities: Sequence[str]
) -> None:
    """ConfigError for an `--entity` that is no ENTITY or FLOW.ENTITY name (`../f/items`)."""
    for name in entities:
        parts = name.split(".", 1)
        if all(part and not any(c in part for c in "/\\\0:") for part in parts):
            continue
        stored = {f"{f}.{e}" for kind in KINDS for f, e in state.stored_entities(kind)}
        kept = sorted(stored - {entity.qualified_name for entity in workspace.entities})
        removed = f"; hygge keeps state of removed {', '.join(kept)}" if kept else ""
        raise ConfigError(
            f"--entity {name!r} is not a valid entity name: give ENTITY (with one --flow) or "
            "FLOW.ENTITY, without '/', '\\' or ':'",
            hint=f"{workspace_has(workspace)}{removed}",
        )


def orphaned_names_or_none(flows: Sequence[str], entities: Sequence[str]) -> list[tuple[str, str]]:
    """As orphaned_names, leaving out names whose flow cannot be told."""
    pairs: list[tuple[str, str]] = []
    for name in entities:
        if "." in name:
            flow, entity = name.split(".", 1)
            pairs.append((flow, entity))
        elif len(flows) == 1:
            pairs.append((flows[0], name))
    return pairs


def has_orphaned_state(workspace: Workspace, state: StateBackend, flow: str, entity: str) -> bool:
    """Whether `flow.entity` is not in the workspace but hygge keeps records of it."""
    try:
        return bool(inspect_orphan(workspace, state, flow, entity).records)
    except HyggeError:
        return False


def inspect_orphan(
    workspace: Workspace, state: StateBackend, flow: str, entity: str
) -> OrphanedState:
    """What is stored for a removed entity; ConfigError when it is in the workspace or unknown."""
    name = f"{flow}.{entity}"
    if name in {e.qualified_name for e in workspace.entities}:
        raise ConfigError(
            f"{name} is in the workspace: --orphaned is only for entities removed from it",
            hint=f"`hygge reset -f {flow} -e {entity}` resets it, staging included",
        )
    check_argument_names(workspace, flow, entity)
    found = _stored(state, flow, entity)
    state.get_lock(flow, entity)  # an unreadable lock raises, naming `hygge unlock --force`
    if not found.records:
        raise unknown_entity_error(
            workspace, flow, entity, f"and hygge keeps no state for {name} either"
        )
    return found


def _stored(state: StateBackend, flow: str, entity: str) -> OrphanedState:
    records: list[str] = []
    staging = None
    try:
        if state.get_watermark(flow, entity) is not None:
            records.append("its watermark")
    except StateError:
        records.append("its unreadable watermark")
    try:
        saved = state.load_checkpoint(flow, entity)
    except StateError:
        records.append("its unreadable checkpoint")
    else:
        if saved is not None:
            records.append("its interrupted run's checkpoint")
            where = saved.get("staging")
            if isinstance(where, dict) and isinstance(where.get("location"), str):
                staging = str(where["location"])
    if state.load_margin(flow, entity) is not None:
        records.append("its lookback margin")
    try:
        files = state.count_file_ledger(flow, entity)
    except StateError:
        records.append("its unreadable record of loaded files")
    else:
        if files:
            records.append(f"the record of {counted(files, 'loaded file')}")
    try:
        if state.get_reset(flow, entity) is not None:
            records.append("the record of its last reset")
    except StateError:
        records.append("its unreadable record of its last reset")
    return OrphanedState(flow, entity, records, staging)


def reset_orphans(
    out: Console, state: StateBackend, orphans: Sequence[OrphanedState], *, yes: bool
) -> int:
    """List what goes, confirm, then forget it under each entity's lock."""
    for orphan in orphans:
        out.print(
            f"{orphan.name} (not in the workspace): {', '.join(orphan.records)}", markup=False
        )
    out.print("hygge forgets these records; no store is touched and the journal is kept.")
    if not yes and not typer.confirm("Forget this?", default=False):
        out.print("Nothing was reset.")
        return EXIT_FAILED
    owner = f"reset-{uuid.uuid4().hex[:12]}"
    for orphan in orphans:
        _forget(out, state, orphan, owner)
    out.print(Text(f"Done. {counted(len(orphans), 'entity')} reset.", style="green"))
    return EXIT_OK


def _forget(out: Console, state: StateBackend, orphan: OrphanedState, owner: str) -> None:
    try:
        state.acquire_lock(orphan.flow, orphan.entity, owner)
    except EntityLockedError as error:
        raise EntityLockedError(f"cannot reset {orphan.name}: {error}") from error
    try:
        state.clear_checkpoint(orphan.flow, orphan.entity)
        state.clear_margin(orphan.flow, orphan.entity)
        state.clear_watermark(orphan.flow, orphan.entity)
        state.clear_file_ledger(orphan.flow, orphan.entity)
        # Last: kept until here, it still stops a store's marker restoring the watermark.
        state.clear_reset(orphan.flow, orphan.entity)
    finally:
        state.release_lock(orphan.flow, orphan.entity, owner)
    log.info("hygge reset --orphaned %s: forgot %s", orphan.name, ", ".join(orphan.records))
    out.print(f"reset  {orphan.name}  forgot {', '.join(orphan.records)}", markup=False)
    if orphan.staging is not None:
        out.print(
            f"  the files its interrupted run staged in {orphan.staging} were left in place: "
            "hygge no longer knows that store",
            markup=False,
            soft_wrap=True,  # the path stays whole, to copy
        )


def refuse_without_terminal(orphans: Sequence[OrphanedState]) -> None:
    names = ", ".join(orphan.name for orphan in orphans)
    raise HyggeError(
        f"hygge reset asks for confirmation before it forgets the state of {names}, but stdin "
        "is not a terminal; pass --yes to reset without asking"
    )
