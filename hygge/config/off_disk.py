"""A workspace read from blob storage has no folder: where its state goes, which paths it
refuses, and how its errors name its files.

Relative paths resolve against the workspace's root folder. A workspace read from a container
prefix has none, and resolving them against the current folder would make `hygge go -w az://…`
read and write wherever it happens to start. So there a file home or store without a
connection (or on a `local` connection without an absolute `root`) needs an absolute path, and
so do `state: {path}` and `journal.path`; files on blob storage name an azure_blob connection.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hygge.config.blob_workspace import WORKSPACE_CONNECTION, BlobWorkspaceSource
from hygge.config.entity import DeclaredEntity
from hygge.config.models import ProjectConfig
from hygge.config.source import LocalFolderSource, WorkspaceSource
from hygge.config.tracked import Origin, Tracked
from hygge.connections import LocalConnection
from hygge.errors import ConfigError

PROJECT_FILE = "hygge.yml"
_PATH_HINT = (
    "keep files on blob storage with `connection: <an azure_blob connection>` (the path is "
    "then inside its container), or write an absolute local path"
)


def state_off_disk(
    source: WorkspaceSource, document: Tracked, project: ProjectConfig
) -> ProjectConfig:
    """`project` with its state beside the workspace when hygge.yml names none (a blob
    workspace: `<prefix>/.hygge` on its account); ConfigError where no default is sensible."""
    if "state" in document.data:
        return project
    if not isinstance(source, BlobWorkspaceSource):
        raise ConfigError(
            f"the workspace at {source.label} is in no local folder and no blob container, so "
            "its state has no default place (.hygge of a folder)",
            file=source.describe(PROJECT_FILE),
            hint="set `state:` in hygge.yml: {type: azure_blob, connection: <name>} or "
            "{path: /an/absolute/folder}",
        )
    if WORKSPACE_CONNECTION in project.connections:
        origin = document.origin(("connections", WORKSPACE_CONNECTION))
        raise ConfigError(
            f"the connection name '{WORKSPACE_CONNECTION}' is hygge's own in a workspace read "
            "from blob storage: the default state reaches the workspace's account by it",
            file=origin.file or PROJECT_FILE,
            line=origin.line,
            hint="rename this connection, or set `state:` in hygge.yml",
        )
    state, connection = source.default_state()
    connections = {**project.connections, WORKSPACE_CONNECTION: connection}
    return project.model_copy(update={"state": state, "connections": connections})


def refuse_relative_paths(
    source: WorkspaceSource,
    declared: Sequence[DeclaredEntity],
    project: ProjectConfig,
    document: Tracked,
) -> None:
    """ConfigError at the first local path that would resolve against the current folder."""
    state_path = project.state.local_path
    if state_path is not None and not _absolute(state_path):
        at = document.origin(("state", "path"))
        _refuse(
            source,
            "state path",
            state_path,
            at,
            hint="set `state: {path: /an/absolute/folder}`, or leave `state:` out: the state then "
            "goes beside the workspace in blob storage",
        )
    journal = project.journal
    if journal is not None and journal.path and not _absolute(journal.path):
        _refuse(
            source,
            "journal.path",
            journal.path,
            document.origin(("journal", "path")),
            hint="remove journal.path, or make it absolute",
        )
    for each in declared:
        for block, origin in (("home", each.home_at), ("store", each.store_at)):
            config = getattr(each.entity, block)
            path = getattr(config, "path", None)
            if not type(config).entity_subfolder or not isinstance(path, str):
                continue
            connection = project.connections.get(config.connection or "")
            if connection is not None and not isinstance(connection, LocalConnection):
                continue  # on blob storage: the path is inside the connection's container
            base = connection.root if isinstance(connection, LocalConnection) else None
            if (base is not None and _absolute(base)) or _absolute(path):
                continue
            what = f"{each.entity.qualified_name}'s {block} path"
            _refuse(source, what, path, origin, hint=_PATH_HINT)


def in_source(error: ConfigError, source: WorkspaceSource) -> ConfigError:
    """`error` naming its file as the source does (`az://c/p/flows/f/flow.yml`); itself when
    the source is a local folder or the file is no workspace file (`--var …`)."""
    file = error.file
    if isinstance(source, LocalFolderSource) or not file or file.startswith("--"):
        return error
    if "://" in file or file.startswith(source.label):
        return error
    return ConfigError(error.detail, file=source.describe(file), line=error.line, hint=error.hint)


def _absolute(path: str) -> bool:
    return Path(path).is_absolute()  # as Place.resolve decides it


def _refuse(source: WorkspaceSource, what: str, path: str, origin: Origin, *, hint: str) -> None:
    where = source.location.uri if isinstance(source, BlobWorkspaceSource) else source.label
    raise ConfigError(
        f"{what} '{path}' is relative, but this workspace is read from {where}, which "
        "has no folder to resolve it against (hygge never resolves it against the current "
        "folder)",
        file=origin.file or PROJECT_FILE,
        line=origin.line,
        hint=hint,
    )
