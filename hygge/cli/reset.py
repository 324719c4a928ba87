"""`hygge reset`: forget entities' watermarks and interrupted runs, so the next run reloads fully.

It holds each entity's lock while it works, so it never pulls state from under a live run.
"""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from hygge.cli.console import (
    EXIT_FAILED,
    EXIT_OK,
    VerboseOption,
    apply_log_level,
    make_console,
    running_command,
)
from hygge.cli.render import print_warnings
from hygge.cli.reset_orphaned import (
    check_entity_arguments,
    has_orphaned_state,
    inspect_orphan,
    orphaned_names,
    orphaned_names_or_none,
    refuse_without_terminal,
    reset_orphans,
)
from hygge.cli.reset_targets import (
    ResetTarget,
    inspect_target,
    refuse_adopted,
    refuse_foreign,
    refuse_half_published,
    refuse_held_rows,
    reset_selection,
    reset_target,
    unreachable_refused,
)
from hygge.cli.workspace_option import WorkspaceOption, load_chosen_workspace
from hygge.cli.workspace_state import open_workspace_state
from hygge.config import Workspace
from hygge.engine import EntityTask, Selection, plan_run
from hygge.errors import ConfigError, EntityLockedError, HyggeError
from hygge.state.base import StateBackend
from hygge.types import RunType
from hygge.wording import counted

log = logging.getLogger("hygge.cli")


def stdin_is_terminal() -> bool:
    """Whether someone can answer the confirmation prompt."""
    return sys.stdin.isatty()


def reset_command(
    *,
    flow: Annotated[
        list[str],
        typer.Option(
            "--flow",
            "-f",
            metavar="FLOW",
            help="Reset the entities of this flow (repeat, or comma-separate).",
            show_default=False,
        ),
    ],
    entity: Annotated[
        list[str] | None,
        typer.Option(
            "--entity",
            "-e",
            metavar="ENTITY",
            help="Only this entity of the flows (ENTITY or FLOW.ENTITY; repeat, or "
            "comma-separate).",
            show_default=False,
        ),
    ] = None,
    orphaned: Annotated[
        bool,
        typer.Option(
            "--orphaned",
            help="The entities were removed from the workspace: forget only hygge's records "
            "of them (watermark, checkpoint, margin); no store is touched.",
        ),
    ] = False,
    keep_data: Annotated[
        bool,
        typer.Option(
            "--keep-data",
            help="Let the next run of an incremental entity append everything it reads to "
            "the store, for a store you emptied yourself: refused while the store still holds "
            "rows (a lake's data files, a table's rows), which would appear twice. Without "
            "it that run replaces the store's rows (a full_drop), so no row is doubled.",
        ),
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (for scripts).")
    ] = False,
    workspace_at: WorkspaceOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Forget watermarks, loaded-file records and interrupted runs: the next run reloads fully.

    Exit code 0 when reset (or nothing to reset), 1 when refused or declined, 2 for a
    configuration error.
    """
    out, err = make_console(), make_console(stderr=True)
    with running_command(err, verbose=verbose):
        workspace = load_chosen_workspace(workspace_at)
        apply_log_level(workspace.project.options.log_level, verbose=verbose)
        print_warnings(err, workspace)
        state = open_workspace_state(workspace)
        if orphaned and keep_data:
            raise ConfigError(
                "--keep-data says what the next run of an entity does with its store; "
                "--orphaned entities have no next run",
                hint="leave out --keep-data",
            )
        if orphaned:
            raise typer.Exit(_reset_orphaned(out, workspace, state, flow, entity or [], yes=yes))
        tasks = plan_run(workspace, _selection(workspace, state, flow, entity or [])).tasks
        stored = [
            task for task in tasks if inspect_target(task, state).needs_reset(keep_data=keep_data)
        ]
        if not stored:
            out.print(
                "Nothing to reset: "
                f"{', '.join(t.qualified_name for t in tasks)} "
                f"{'has' if len(tasks) == 1 else 'have'} no watermark and no interrupted run.",
                markup=False,
            )
            raise typer.Exit(EXIT_OK)
        if not yes and not stdin_is_terminal():
            names = ", ".join(task.qualified_name for task in stored)
            raise HyggeError(
                f"hygge reset asks for confirmation before it forgets the state of {names}, "
                "but stdin is not a terminal; pass --yes to reset without asking"
            )
        code = _reset_locked(out, state, stored, yes=yes, keep_data=keep_data)
    raise typer.Exit(code)


def _selection(
    workspace: Workspace, state: StateBackend, flows: list[str], entities: list[str]
) -> Selection:
    """reset_selection; an unknown name that hygge still has state of points at --orphaned."""
    try:
        return reset_selection(workspace, flows, entities)
    except ConfigError as error:
        stored = [
            f"{flow}.{entity}"
            for flow, entity in orphaned_names_or_none(flows, entities)
            if has_orphaned_state(workspace, state, flow, entity)
        ]
        if not stored:
            raise
        flows_of = ",".join(dict.fromkeys(name.split(".", 1)[0] for name in stored))
        raise ConfigError(
            error.detail,
            hint=f"{', '.join(stored)} left the workspace, but hygge keeps state of it: "
            f"`hygge reset --orphaned -f {flows_of} -e {','.join(stored)}` forgets that (no "
            "store is touched)",
        ) from error


def _reset_orphaned(
    out: Console,
    workspace: Workspace,
    state: StateBackend,
    flows: list[str],
    entities: list[str],
    *,
    yes: bool,
) -> int:
    check_entity_arguments(workspace, state, entities)
    wanted = Selection.from_cli(flows, entities, None)
    names = orphaned_names(wanted.flows, wanted.entities)
    orphans = [inspect_orphan(workspace, state, flow, entity) for flow, entity in names]
    if not yes and not stdin_is_terminal():
        refuse_without_terminal(orphans)
    return reset_orphans(out, state, orphans, yes=yes)


def _reset_locked(
    out: Console, state: StateBackend, tasks: list[EntityTask], *, yes: bool, keep_data: bool
) -> int:
    """Under the entities' locks: list what goes, confirm, then forget it."""
    owner = f"reset-{uuid.uuid4().hex[:12]}"
    with entity_locks(state, tasks, owner):
        # As of now, under the locks: a run may have finished since the first look.
        found = (inspect_target(task, state) for task in tasks)
        targets = [target for target in found if target.needs_reset(keep_data=keep_data)]
        if not targets:
            out.print("Nothing to reset any more: their state was cleared meanwhile.")
            return EXIT_OK
        refuse_half_published(targets)
        with unreachable_refused(targets, done=[]):
            refuse_foreign(targets)
            refuse_adopted(targets, keep_data=keep_data)
            if keep_data:
                refuse_held_rows(targets)
        print_targets(out, targets, keep_data=keep_data)
        if not yes and not typer.confirm("Forget this?", default=False):
            out.print("Nothing was reset.")
            return EXIT_FAILED
        for target in targets:
            # The prompt may have waited longer than a lock stays fresh: make sure it is ours.
            state.refresh_lock(target.task.flow, target.task.entity, owner)
        width = max(len(target.task.qualified_name) for target in targets)
        done: list[str] = []
        with unreachable_refused(targets, done=done):
            for target in targets:
                name = target.task.qualified_name
                forgotten = reset_target(target, state, full_drop_next=not keep_data)
                done.append(name)
                log.info("hygge reset %s: forgot %s", name, forgotten)
                out.print(f"reset  {name.ljust(width)}  forgot {forgotten}", markup=False)
    count = len(targets)
    out.print(Text(f"Done. {counted(count, 'entity')} reset.", style="green"))
    return EXIT_OK


@contextmanager
def entity_locks(state: StateBackend, tasks: Sequence[EntityTask], owner: str) -> Iterator[None]:
    """Hold every entity's lock (a stale one is taken over); refuse when a live run holds one."""
    taken: list[EntityTask] = []
    try:
        for task in tasks:
            try:
                state.acquire_lock(task.flow, task.entity, owner)
            except EntityLockedError as error:
                raise EntityLockedError(f"cannot reset {task.qualified_name}: {error}") from error
            taken.append(task)
        yield
    finally:
        for task in reversed(taken):
            state.release_lock(task.flow, task.entity, owner)


def print_targets(out: Console, targets: Sequence[ResetTarget], *, keep_data: bool) -> None:
    """What will be forgotten, per entity, and what the next run then does."""
    table = Table(title="hygge reset will forget", title_justify="left")
    for name in ("Entity", "Watermark", "Loaded files", "Interrupted run"):
        table.add_column(name, overflow="fold")
    for target in targets:
        table.add_row(
            target.task.qualified_name,
            target.watermark_text,
            target.files_text,
            target.interrupted_text,
        )
    out.print(table)
    out.print("Their next run reads everything in their homes again.")
    incremental = [t.task.qualified_name for t in targets if t.task.run_type is RunType.INCREMENTAL]
    if not incremental:
        return
    names = ", ".join(incremental)
    if keep_data:
        said = (
            f"{names}: incremental, and --keep-data: that run appends everything to what the "
            "store holds"
        )
    else:
        said = (
            f"{names}: incremental, so that run is a full_drop: it replaces what the store "
            "holds (rows hygge wrote), and later runs append again; --keep-data appends instead"
        )
    out.print(Text(said, style="yellow"), soft_wrap=not out.is_terminal)
