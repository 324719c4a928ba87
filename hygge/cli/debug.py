"""`hygge debug`: load the workspace and check everything a run needs, moving no data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import typer
from rich.console import Console
from rich.text import Text

from hygge.cli.console import (
    EXIT_FAILED,
    EXIT_OK,
    VerboseOption,
    make_console,
    running_command,
)
from hygge.cli.debug_state import report_state
from hygge.cli.render import home_and_store, print_warnings
from hygge.cli.workspace_option import WorkspaceOption, load_chosen_workspace
from hygge.cli.workspace_state import open_workspace_state, workspace_owner
from hygge.config import ResolvedEntity, Workspace
from hygge.engine import Selection, plan_run
from hygge.engine.preview import state_problems
from hygge.errors import HyggeError, StateError
from hygge.state.base import StateBackend
from hygge.state.owner import foreign_owner, owned_elsewhere
from hygge.types import Place
from hygge.wording import counted


@dataclass
class Findings:
    """What the checks found: problems fail the command, notes only inform."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def debug_command(workspace_at: WorkspaceOption = None, verbose: VerboseOption = False) -> None:
    """Check the workspace: config, every home and store, the state folder, locks.

    Exit code 0 when all is well, 1 when a check found a problem, 2 for a configuration error.
    """
    out, err = make_console(), make_console(stderr=True)
    with running_command(err, verbose=verbose):
        workspace = load_chosen_workspace(workspace_at)
        print_warnings(err, workspace)
        findings = Findings()
        state = open_workspace_state(workspace, check_owner=False)
        _print_workspace(out, workspace, state)
        out.print("\n[bold]Entities[/]")
        width = max((len(e.qualified_name) for e in workspace.entities), default=0)
        tasks = {task.qualified_name: task for task in plan_run(workspace, Selection()).tasks}
        for entity in workspace.entities:
            stored = state_problems(tasks[entity.qualified_name], state)
            _check_entity(out, workspace, entity, findings, width, stored=stored)
        out.print("\n[bold]State[/]")
        _check_state(out, workspace, state, findings)
        code = _print_verdict(out, findings)
    raise typer.Exit(code)


def _print_workspace(out: Console, workspace: Workspace, state: StateBackend) -> None:
    out.print(Text(f"Workspace  {workspace.name}", style="bold"))
    out.print(f"Root       {workspace.location or workspace.root}", markup=False)
    out.print(f"State      {state.location()}", markup=False)
    out.print(f"Journal    {state.journal_location()}", markup=False)
    out.print(f"Flows      {len(workspace.flows)} in {workspace.project.flows_dir}/", markup=False)
    for flow in workspace.flows.values():
        listed = ", ".join(flow.entities) or "no entities"
        out.print(f"  {flow.name}  ({flow.file}): {listed}", markup=False)


def _check_entity(
    out: Console,
    workspace: Workspace,
    entity: ResolvedEntity,
    findings: Findings,
    width: int,
    *,
    stored: list[str],
) -> None:
    """`stored`: what its stored state would refuse (a watermark of another store, …)."""
    place = Place(
        workspace.root,
        entity.flow,
        entity.name,
        workspace=workspace.name,
        connections=workspace.project.connections,
    )
    problems: list[str] = []
    for role, config in (("home", entity.home), ("store", entity.store)):
        try:
            problems.extend(f"{role}: {problem}" for problem in config.open(place).check())
        except HyggeError as error:
            problems.append(f"{role}: {error}")
    problems.extend(f"state: {problem}" for problem in stored)
    mark = Text("✗ ", style="red") if problems else Text("✓ ", style="green")
    out.print(mark + Text(f"{entity.qualified_name.ljust(width)}  {home_and_store(entity)}"))
    for problem in problems:
        out.print(Text(f"    {problem}", style="red"))
        findings.problems.append(f"{entity.qualified_name}: {problem}")


def _check_state(
    out: Console, workspace: Workspace, state: StateBackend, findings: Findings
) -> None:
    problem = state.writable_problem()
    if problem:
        out.print(Text(f"✗ {problem}", style="red"))
        findings.problems.append(problem)
    else:
        out.print(Text("✓ ", style="green") + Text(f"{state.location()} is writable"))
    _check_owner(out, workspace, state, findings)
    _print_state_files(out, workspace, state, findings)


def _check_owner(
    out: Console, workspace: Workspace, state: StateBackend, findings: Findings
) -> None:
    """A state folder another workspace owns is a problem (`go` would refuse it)."""
    owner = workspace_owner(workspace)
    try:
        other = foreign_owner(state, owner)
    except StateError as error:
        problem: str | None = str(error)
    else:
        problem = None if other is None else str(owned_elsewhere(state.location(), other, owner))
    if problem:
        out.print(Text(f"✗ {problem}", style="red"))
        findings.problems.append(problem)


def _print_state_files(
    out: Console, workspace: Workspace, state: StateBackend, findings: Findings
) -> None:
    """Corrupt state files as problems; locks, interrupted runs and orphaned staging as notes."""
    try:
        report = report_state(workspace, state, datetime.now(UTC))
    except StateError as error:  # the state folder itself cannot be listed
        out.print(Text(f"✗ {error}", style="red"))
        findings.problems.append(str(error))
        return
    for problem in report.problems:
        out.print(Text(f"✗ {problem}", style="red"))
        findings.problems.append(problem)
    for note in report.notes:
        out.print(Text(f"! {note}", style="yellow"))
        findings.notes.append(note)


def _print_verdict(out: Console, findings: Findings) -> int:
    if findings.problems:
        count = len(findings.problems)
        out.print(Text(f"\n{counted(count, 'problem')} found.", style="bold red"))
        return EXIT_FAILED
    extra = f" ({counted(len(findings.notes), 'note')} above)" if findings.notes else ""
    out.print(Text(f"\nAll checks passed{extra}.", style="bold green"))
    return EXIT_OK
