"""`hygge list`: the workspace's flows and entities, with where each moves from and to."""

from __future__ import annotations

from hygge.cli.console import VerboseOption, make_console, running_command
from hygge.cli.render import print_entities, print_warnings
from hygge.cli.workspace_option import WorkspaceOption, load_chosen_workspace


def list_command(workspace_at: WorkspaceOption = None, verbose: VerboseOption = False) -> None:
    """List flows and entities: home → store, run type and watermark column."""
    out, err = make_console(), make_console(stderr=True)
    with running_command(err, verbose=verbose):
        workspace = load_chosen_workspace(workspace_at)
        print_warnings(err, workspace)
        print_entities(out, workspace)
