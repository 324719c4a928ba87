"""`hygge go`: plan the selected entities, then move them (or, with --dry-run, preview them)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from hygge.cli.console import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    VerboseOption,
    apply_log_level,
    make_console,
    running_command,
)
from hygge.cli.mirror_journal import mirror_journals
from hygge.cli.progress import LiveProgress, PlainProgress
from hygge.cli.render import print_previews, print_summary, print_warnings
from hygge.cli.resume import Continuation, choose_continuation, plan_interrupted
from hygge.cli.workspace_option import WorkspaceOption, load_chosen_workspace
from hygge.cli.workspace_state import claim_workspace_state, open_workspace_state
from hygge.config import Workspace
from hygge.engine import RunPlan, Selection, plan_run
from hygge.engine.runner import chunk_budget, default_concurrency, run_plan
from hygge.errors import ConfigError
from hygge.state.base import StateBackend
from hygge.types import RunType
from hygge.wording import counted

FlowOption = Annotated[
    list[str] | None,
    typer.Option(
        "--flow",
        "-f",
        metavar="FLOW",
        help="Run this flow (repeat, or comma-separate).",
        show_default=False,
    ),
]
EntityOption = Annotated[
    list[str] | None,
    typer.Option(
        "--entity",
        "-e",
        metavar="FLOW.ENTITY",
        help="Run this entity (repeat, or comma-separate).",
        show_default=False,
    ),
]


def go_command(
    *,
    flow: FlowOption = None,
    entity: EntityOption = None,
    incremental: Annotated[
        bool, typer.Option("--incremental", "-i", help="Run every selected entity incrementally.")
    ] = False,
    full_drop: Annotated[
        bool, typer.Option("--full-drop", "-d", help="Replace every selected entity in full.")
    ] = False,
    concurrency: Annotated[
        int | None,
        typer.Option(
            "--concurrency",
            "-c",
            min=1,
            help="Entities moved at once (default: options.concurrency, else CPUs + 2, at most 8).",
            show_default=False,
        ),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Run only the entities with an interrupted run, continuing each from its "
            "checkpoint.",
        ),
    ] = False,
    restart: Annotated[
        bool,
        typer.Option(
            "--restart",
            help="Run only the entities with an interrupted run, discarding it and starting over.",
        ),
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Show what would move (files, windows); move nothing."),
    ] = False,
    var: Annotated[
        list[str] | None,
        typer.Option(
            "--var",
            metavar="flow.FLOW.PATH=VALUE",
            help="Override a flow setting for this run, e.g. flow.sales.store.path=out.",
            show_default=False,
        ),
    ] = None,
    workspace_at: WorkspaceOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Move data: run all entities, or the selected flows and entities.

    Exit code 0 when every entity succeeded or was skipped, 1 when one failed, 2 for a
    configuration error.
    """
    out, err = make_console(), make_console(stderr=True)
    with running_command(err, verbose=verbose):
        run_type = _run_type(incremental=incremental, full_drop=full_drop)
        how = choose_continuation(resume=resume, restart=restart)
        if how == "resume" and run_type is not None:
            raise ConfigError(
                "--resume cannot be combined with --incremental or --full-drop",
                hint="a resumed run keeps the run type it started with; use --restart to "
                "discard the interrupted runs and run them with another run type",
            )
        workspace = load_chosen_workspace(workspace_at, var or ())
        apply_log_level(workspace.project.options.log_level, verbose=verbose)
        print_warnings(err, workspace)
        plan = plan_run(workspace, Selection.from_cli(flow or [], entity or [], run_type))
        state = open_workspace_state(workspace)
        if how is not None:
            plan = plan_interrupted(plan, state, how)
            if not plan.tasks:
                out.print(f"Nothing to {how}: no selected entity has an interrupted run.")
                raise typer.Exit(EXIT_OK)
        if dry_run:
            from hygge.engine.preview import preview_plan  # a dry run's only

            previews = preview_plan(plan, state)
            print_previews(out, previews)
            code = EXIT_FAILED if any(p.problems for p in previews) else EXIT_OK
        else:
            code = _run(out, workspace, plan, state, concurrency, how=how)
    raise typer.Exit(code)


def _run_type(*, incremental: bool, full_drop: bool) -> RunType | None:
    if incremental and full_drop:
        raise ConfigError(
            "--incremental and --full-drop cannot be used together",
            hint="pick one, or neither to use each entity's configured run_type",
        )
    if incremental:
        return RunType.INCREMENTAL
    return RunType.FULL_DROP if full_drop else None


def _run(
    out: Console,
    workspace: Workspace,
    plan: RunPlan,
    state: StateBackend,
    concurrency: int | None,
    *,
    how: Continuation | None,
) -> int:
    workers = concurrency or workspace.project.options.concurrency or default_concurrency()
    count = len(plan.tasks)
    what = counted(count, "entity")
    if how is not None:
        what = f"{how} {counted(count, 'interrupted run')}"
    out.print(f"hygge: {workspace.name}: {what}, concurrency {workers}", markup=False)
    claim_workspace_state(workspace, state)
    names = [task.qualified_name for task in plan.tasks]
    sink = LiveProgress(out, names) if out.is_terminal else PlainProgress(out, names)
    with sink:
        report = run_plan(
            plan,
            state,
            concurrency=workers,
            continue_on_error=workspace.project.options.continue_on_error,
            on_event=sink.handle,
            budget=chunk_budget(workspace),
        )
    print_summary(out, report)
    if not report.cancelled and not mirror_journals(out, plan, state):
        return EXIT_FAILED
    if report.cancelled:
        out.print(
            "Cancelled: entities that were moving stopped at a checkpoint; "
            "`hygge go` (or `hygge go --resume`) continues them.",
            markup=False,
        )
        return EXIT_INTERRUPTED
    return EXIT_OK if report.ok else EXIT_FAILED
