"""The CLI's state: the backend hygge.yml's `state:` names, on this machine's clock and host."""

from __future__ import annotations

from hygge.config import Workspace
from hygge.engine.runner import local_context
from hygge.state.base import StateBackend
from hygge.state.config import open_state


def open_workspace_state(workspace: Workspace) -> StateBackend:
    """The workspace's StateBackend; every command reaches state only through it."""
    here = local_context()
    return open_state(
        workspace.project.state,
        workspace.root,
        clock=here.clock,
        host=here.host,
        journal_dir=workspace.journal_dir,
    )
