"""`hygge adopt-state`: make this workspace the owner of its state folder (after a move)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hygge.cli.console import EXIT_FAILED, EXIT_OK, VerboseOption, make_console, running_command
from hygge.cli.workspace_option import WorkspaceOption, load_chosen_workspace
from hygge.cli.workspace_state import open_workspace_state, workspace_owner
from hygge.errors import StateError
from hygge.state.base import StateBackend, StateOwner

PROJECT_FILES = ("hygge.yml", "hygge.yaml")


def adopt_state_command(
    *,
    yes: Annotated[
        bool,
        typer.Option(
            "--yes",
            "-y",
            help="Adopt even though the workspace that owns the state folder is still there.",
        ),
    ] = False,
    workspace_at: WorkspaceOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Make this workspace the owner of its state folder, e.g. after the workspace moved.

    A state folder belongs to one workspace; another one is refused. Exit code 0 when this
    workspace owns it now, 1 when refused (the owner still exists: add --yes), 2 for a
    configuration error.
    """
    out, err = make_console(), make_console(stderr=True)
    with running_command(err, verbose=verbose):
        workspace = load_chosen_workspace(workspace_at)
        state = open_workspace_state(workspace, check_owner=False)
        code = adopt_state(out, state, workspace_owner(workspace), yes=yes)
    raise typer.Exit(code)


def adopt_state(out: Console, state: StateBackend, owner: StateOwner, *, yes: bool) -> int:
    """Record `owner`; refuse without `yes` while the previous owner's workspace exists."""
    try:
        previous = state.state_owner()
    except StateError:
        previous = None  # a damaged record: replacing it is what adopting is for
    where = state.location()
    if previous is not None and previous.root == owner.root:
        if previous != owner:
            state.set_state_owner(owner)
        out.print(f"State folder {where} already belongs to this workspace.", markup=False)
        return EXIT_OK
    if previous is not None and not yes and _is_workspace(Path(previous.root)):
        out.print(
            f"Not adopted: state folder {where} belongs to workspace '{previous.name}' at "
            f"{previous.root}, which is still there; once adopted, hygge refuses to run that "
            "workspace on this state folder. Give one of them its own state folder "
            "(`state: {path: ...}` in hygge.yml), or run `hygge adopt-state --yes` if that "
            "copy is not to be run any more.",
            markup=False,
        )
        return EXIT_FAILED
    state.set_state_owner(owner)
    before = "" if previous is None else f" (it belonged to '{previous.name}' at {previous.root})"
    out.print(
        f"State folder {where} now belongs to workspace '{owner.name}' at {owner.root}{before}.",
        markup=False,
    )
    return EXIT_OK


def _is_workspace(root: Path) -> bool:
    return any((root / name).is_file() for name in PROJECT_FILES)
