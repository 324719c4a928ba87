"""`hygge unlock`: remove an entity's lock once the run holding it is gone.

A run takes a stale lock over by itself, so this is for what it cannot judge: a lock left by a
machine that is gone for good (`--force`), or a lock file that cannot be read any more. It never
removes the lock of a process still alive on this host.
"""

from __future__ import annotations

import logging
import socket
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from hygge.cli.console import (
    EXIT_FAILED,
    EXIT_OK,
    VerboseOption,
    apply_log_level,
    make_console,
    running_command,
)
from hygge.cli.entity_names import check_argument_names, unknown_entity_error
from hygge.cli.workspace_option import WorkspaceOption, load_chosen_workspace
from hygge.cli.workspace_state import open_workspace_state
from hygge.config import Workspace
from hygge.errors import EntityLockedError, HyggeError, StateError
from hygge.state.base import LockInfo, StateBackend
from hygge.state.clock import utc_now
from hygge.state.lock_rules import DEFAULT_STALE_AFTER, describe_run, stale_reason, unlock_refusal

log = logging.getLogger("hygge.cli")


def stdin_is_terminal() -> bool:
    """Whether someone can answer the confirmation prompt."""
    return sys.stdin.isatty()


def unlock_command(
    *,
    flow: Annotated[
        str,
        typer.Option("--flow", "-f", metavar="FLOW", help="The entity's flow.", show_default=False),
    ],
    entity: Annotated[
        str,
        typer.Option("--entity", "-e", metavar="ENTITY", help="The entity.", show_default=False),
    ],
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Also remove a lock from another host whose heartbeat is still fresh (that "
            "machine is gone), or a lock file that cannot be read.",
        ),
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (for scripts).")
    ] = False,
    workspace_at: WorkspaceOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Remove an entity's lock once the run holding it is gone.

    Exit code 0 when removed (or not locked), 1 when refused or declined, 2 for a
    configuration error (an entity neither in the workspace nor locked).
    """
    out, err = make_console(), make_console(stderr=True)
    with running_command(err, verbose=verbose):
        workspace = load_chosen_workspace(workspace_at)
        apply_log_level(workspace.project.options.log_level, verbose=verbose)
        state = open_workspace_state(workspace)
        check_unlock_target(workspace, state, flow, entity)
        code = unlock_entity(out, state, flow, entity, force=force, yes=yes)
    raise typer.Exit(code)


def check_unlock_target(workspace: Workspace, state: StateBackend, flow: str, entity: str) -> None:
    """ConfigError unless `flow.entity` is in the workspace or holds a lock (a removed entity's).

    A misspelled name must not answer "not locked": the user would believe the entity free.
    """
    if f"{flow}.{entity}" in {e.qualified_name for e in workspace.entities}:
        return
    check_argument_names(workspace, flow, entity)
    try:
        if state.get_lock(flow, entity) is not None:
            return
    except StateError:
        return  # an unreadable lock file: unlock_entity says what --force does with it
    raise unknown_entity_error(workspace, flow, entity, f"and {flow}.{entity} holds no lock")


def unlock_entity(
    out: Console, state: StateBackend, flow: str, entity: str, *, force: bool, yes: bool
) -> int:
    """Show the holder, refuse while it may be alive, confirm, then remove the lock."""
    name = f"{flow}.{entity}"
    try:
        held = state.get_lock(flow, entity)
    except StateError:
        if not force:
            raise
        out.print(f"The lock file of {name} cannot be read; --force removes it.", markup=False)
        return _remove(out, state, flow, entity, None, force=True, yes=yes)
    if held is None:
        out.print(f"{name} is not locked: nothing to unlock.", markup=False)
        return EXIT_OK
    out.print(f"{name} is locked by {_why_removable(held, flow, entity, force)}", markup=False)
    return _remove(out, state, flow, entity, held, force=force, yes=yes)


def _why_removable(held: LockInfo, flow: str, entity: str, force: bool) -> str:
    """Who holds it and why it may go; EntityLockedError when it must stay."""
    now, host, stale_after = utc_now(), socket.gethostname(), DEFAULT_STALE_AFTER
    refusal = unlock_refusal(
        held, now, flow=flow, entity=entity, host=host, stale_after=stale_after, force=force
    )
    if refusal is not None:
        raise EntityLockedError(f"{refusal} Nothing was removed.")
    reason = stale_reason(held, now, host=host, stale_after=stale_after) or (
        f"its heartbeat is fresh, but --force says host {held.host} is gone"
    )
    return f"{describe_run(held, now)}: {reason}."


def _remove(
    out: Console,
    state: StateBackend,
    flow: str,
    entity: str,
    held: LockInfo | None,
    *,
    force: bool,
    yes: bool,
) -> int:
    name = f"{flow}.{entity}"
    if not yes:
        if not stdin_is_terminal():
            raise HyggeError(
                f"hygge unlock asks for confirmation before it removes the lock of {name}, but "
                "stdin is not a terminal; pass --yes to remove it without asking"
            )
        if not typer.confirm("Remove this lock?", default=False):
            out.print("Nothing was removed.")
            return EXIT_FAILED
    holder = None if held is None else held.owner
    state.remove_lock(flow, entity, force=force, holder=holder)
    log.info("hygge unlock %s: removed the lock of run %s", name, holder)
    out.print(
        Text(f"Removed the lock of {name}. Its next run takes the lock again.", style="green")
    )
    return EXIT_OK
