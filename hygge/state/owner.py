"""One state belongs to one workspace: the owner record every backend keeps.

Two workspaces over one state (the same flow and entity names) would read each other's
watermarks and file ledgers: the second one would skip files it never loaded. So the first
run that writes records the workspace (name and resolved root) in the state, and a workspace
with another root is refused when it opens that state. A state without a record (written by an
older hygge) gets one on the next run that writes; a moved workspace takes its state over with
`hygge adopt-state`.
"""

from __future__ import annotations

from hygge.errors import ConfigError
from hygge.state.base import StateBackend, StateOwner

__all__ = ["ADOPT_COMMAND", "StateOwner", "check_state_owner", "claim_state", "foreign_owner"]

ADOPT_COMMAND = "hygge adopt-state"


def foreign_owner(state: StateBackend, owner: StateOwner) -> StateOwner | None:
    """The workspace other than `owner` that the state belongs to, None when it is `owner`'s
    or nobody's yet. Workspaces are told apart by root: a renamed project keeps its state."""
    stored = state.state_owner()
    return stored if stored is not None and stored.root != owner.root else None


def claim_state(state: StateBackend, owner: StateOwner, *, file: str | None = None) -> None:
    """Refuse a state another workspace owns; record `owner` where the record is missing or
    outdated (a state of an older hygge, a renamed project)."""
    # Exclusive where no record exists yet: of two first runs at once, one workspace wins.
    stored = state.state_owner() or state.claim_state_owner(owner)
    if stored.root != owner.root:
        raise owned_elsewhere(state.location(), stored, owner, file=file)
    if stored != owner:
        state.set_state_owner(owner)  # the same workspace, renamed


def check_state_owner(state: StateBackend, owner: StateOwner, *, file: str | None = None) -> None:
    """ConfigError (exit 2) when the state belongs to another workspace; writes nothing."""
    other = foreign_owner(state, owner)
    if other is not None:
        raise owned_elsewhere(state.location(), other, owner, file=file)


def owned_elsewhere(
    location: str, other: StateOwner, owner: StateOwner, *, file: str | None = None
) -> ConfigError:
    """What to tell a workspace whose state folder belongs to another workspace."""
    return ConfigError(
        f"state folder {location} belongs to workspace '{other.name}' at {other.root}, not to "
        f"this workspace ('{owner.name}' at {owner.root}); two workspaces sharing one state "
        "folder would skip each other's files and mix their watermarks and journals",
        file=file,
        hint=f"give this workspace its own state folder (`state: {{path: ...}}` in hygge.yml); "
        f"if this workspace was moved here from {other.root}, run `{ADOPT_COMMAND}` to make "
        "it the state folder's owner",
    )
