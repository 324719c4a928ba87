"""A store on blob storage must not write into the blob state of its own workspace.

A local workspace refuses an entity folder inside its `.hygge` folder (`hygge.config.folders`);
this is the same rule where the state is a container prefix (`state: {type: azure_blob}`, or
the default state of a workspace read from blob storage): a store whose entity folder lies in
the state's prefix — or holds it — would write data among watermarks, locks and loaded-file
records, and a full_drop could replace them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hygge.config.entity import DeclaredEntity
from hygge.config.models import ProjectConfig
from hygge.connections import AzureBlobConnection
from hygge.errors import ConfigError
from hygge.state.config import AzureBlobStateConfig
from hygge.storage import join_key


def _account(connection: AzureBlobConnection) -> str | None:
    """The account URL when the config names it (a connection string is read only later)."""
    return connection.account_url.rstrip("/").lower() if connection.account_url else None


def _inside(a: str, b: str) -> bool:
    return not b or a == b or a.startswith(f"{b}/")  # "": the whole container


def check_state_overlap(
    declared: Sequence[DeclaredEntity], project: ProjectConfig, root: Path
) -> None:
    """ConfigError naming the store's file and line when an entity's blob folder overlaps the
    workspace's blob state (same container and, where both are known, the same account)."""
    state = project.state
    if not isinstance(state, AzureBlobStateConfig):
        return
    state_connection = project.connections.get(state.connection)
    if not isinstance(state_connection, AzureBlobConnection):
        return  # the state check names this itself
    state_container = state.container or state_connection.container
    state_prefix = state.state_prefix(project.name or root.name)
    for each in declared:
        store = each.entity.store
        path = getattr(store, "path", None)
        name = getattr(store, "connection", None)
        connection = project.connections.get(name) if name else None
        if connection is None and hasattr(store, "account"):
            connection = store.account()
        if not isinstance(connection, AzureBlobConnection) or not isinstance(path, str):
            continue
        container = getattr(store, "filesystem", None) or connection.container
        accounts = {_account(connection), _account(state_connection)}
        if container != state_container or (None not in accounts and len(accounts) > 1):
            continue
        folder = join_key(path.replace("{entity}", each.entity.name))
        if _inside(folder, state_prefix) or _inside(state_prefix, folder):
            raise ConfigError(
                f"the store of {each.entity.flow}.{each.entity.name} writes to "
                f"az://{container}/{folder}, which overlaps this workspace's state at "
                f"az://{state_container}/{state_prefix}: data there would mix with (and a "
                "full_drop could replace) watermarks, locks and journal",
                file=each.store_at.file,
                line=each.store_at.line,
                hint="give the store a folder of its own outside the state prefix, e.g. "
                "`path: lake`",
            )
