"""The CLI's state: the backend hygge.yml's `state:` names, on this machine's clock and host."""

from __future__ import annotations

import socket

from hygge.config import Workspace
from hygge.state.base import StateBackend
from hygge.state.clock import utc_now
from hygge.state.config import open_state


def open_workspace_state(workspace: Workspace) -> StateBackend:
    """The workspace's StateBackend; every command reaches state only through it."""
    return open_state(
        workspace.project.state,
        workspace.root,
        clock=utc_now,
        host=socket.gethostname(),
        journal_dir=workspace.journal_dir,
    )
