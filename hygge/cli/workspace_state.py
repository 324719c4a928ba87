"""The CLI's state: the backend hygge.yml's `state:` names, on this machine's clock and host."""

from __future__ import annotations

from hygge.config import Workspace
from hygge.engine.runner import local_context
from hygge.state.base import StateBackend, StateOwner
from hygge.state.config import open_state
from hygge.state.owner import check_state_owner, claim_state


def open_workspace_state(workspace: Workspace, *, check_owner: bool = True) -> StateBackend:
    """The workspace's StateBackend; every command reaches state only through it.

    ConfigError (exit 2) when the state belongs to another workspace (`hygge.state.owner`);
    `check_owner=False` for the commands that report or replace the owner record themselves.
    """
    here = local_context()
    state = open_state(
        workspace.project.state,
        workspace.root,
        clock=here.clock,
        host=here.host,
        journal_dir=workspace.journal_dir,
        workspace=workspace.name,
        connections=workspace.project.connections,
    )
    if check_owner:
        check_state_owner(state, workspace_owner(workspace))
    return state


def claim_workspace_state(workspace: Workspace, state: StateBackend) -> None:
    """Before a run writes: record this workspace as the state's owner where it is not yet."""
    claim_state(state, workspace_owner(workspace))


def workspace_owner(workspace: Workspace) -> StateOwner:
    """How the state records this workspace as its owner: its resolved folder, or the URI of
    a workspace read from blob storage (whatever folder hygge runs in)."""
    if not workspace.on_disk:
        return StateOwner(name=workspace.name, root=workspace.location)
    return StateOwner.of(workspace.name, workspace.root)
