"""Find and load a workspace: hygge.yml and every flow, merged into resolved entities."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from pydantic import ValidationError

from hygge.config.entity import DeclaredEntity, resolve_entity
from hygge.config.env import substitute_env
from hygge.config.flows import (
    FLOW_FILE,
    YAML_SUFFIXES,
    FlowSource,
    find_config_file,
    read_document,
    read_flow,
    split_flow,
)
from hygge.config.folders import check_folders
from hygge.config.layers import OVERRIDE, OVERRIDE_DEFAULTS, PROJECT_DEFAULTS, build_layer
from hygge.config.models import FlowInfo, ProjectConfig, Workspace
from hygge.config.off_disk import in_source, refuse_relative_paths, state_off_disk
from hygge.config.overrides import parse_overrides
from hygge.config.shared_tables import check_shared_tables
from hygge.config.source import LocalFolderSource, WorkspaceSource, open_workspace_source
from hygge.config.state_overlap import check_state_overlap
from hygge.config.state_path import JOURNAL_HINT, check_state_folder
from hygge.config.suggest import did_you_mean
from hygge.config.tracked import Origin, Tracked
from hygge.connections import AzureBlobConnection, is_secret_path
from hygge.errors import ConfigError
from hygge.storage import check_key
from hygge.types import UNEXPANDED_HINT, unexpanded

PROJECT_FILE = "hygge.yml"  # or hygge.yaml
_INIT_HINT = "run `hygge init NAME` to create a workspace"
# hygge.yml options the original hygge's samples wrote but never used.
_LEGACY_OPTIONS = ("max_parallel_entities",)


def find_workspace_root(start: Path | None = None) -> Path:
    """The nearest folder at or above `start` (default: the current folder) with hygge.yml."""
    here = (start if start is not None else Path.cwd()).resolve()
    searched = [here, *here.parents]
    for folder in searched:
        if any((folder / f"hygge{suffix}").is_file() for suffix in YAML_SUFFIXES):
            return folder
    listed = "\n".join(f"  {folder}" for folder in searched)
    raise ConfigError(
        f"no {PROJECT_FILE} (or hygge.yaml) found; looked in:\n{listed}", hint=_INIT_HINT
    )


def load_workspace(
    root: Path | None = None,
    *,
    source: WorkspaceSource | str | None = None,
    overrides: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> Workspace:
    """Load and validate the workspace at `root` (found from the current folder if None).

    `source` may be a WorkspaceSource or a URI: a path, file://…, or az://container/prefix
    (`hygge.config.blob_workspace`). A source with no local folder (and no `root` given)
    refuses relative local paths; its errors name its files as it does (az://…/flow.yml).
    """
    env = os.environ if env is None else env
    if isinstance(source, str):
        source = open_workspace_source(source, env)
    if source is None:
        root = (root if root is not None else find_workspace_root()).resolve()
        source = LocalFolderSource(root)
    on_disk = root is not None or isinstance(source, LocalFolderSource)
    if root is None:
        # A workspace read from blob storage has no folder: its relative paths are refused
        # (`hygge.config.off_disk`), and `root` is a placeholder; `location` keeps the URI.
        root = source.root if isinstance(source, LocalFolderSource) else Path(source.label)
    try:
        return _load(root, source, on_disk, overrides, env)
    except ConfigError as error:
        named = in_source(error, source)
        if named is error:
            raise
        raise named from error


def _load(
    root: Path,
    source: WorkspaceSource,
    on_disk: bool,
    overrides: Sequence[str],
    env: Mapping[str, str],
) -> Workspace:
    warnings: list[str] = []
    document, project = _read_project(source, env, warnings)
    if not on_disk:
        project = state_off_disk(source, document, project)
    flows_dir = project.flows_dir.rstrip("/") or "/"  # an absolute folder keeps its '/'
    names = _flow_names(source, flows_dir, document, warnings)
    flows = [read_flow(source, flows_dir, name, env, warnings) for name in names]
    # `--var` values are substituted like the files' strings: a quoted '${HOME}/lake' is no
    # folder literally named `${HOME}`.
    parsed = parse_overrides(overrides, names)
    per_flow = {flow: substitute_env(tracked, env) for flow, tracked in parsed.items()}
    defaults = build_layer(document.child("defaults"), "defaults", PROJECT_DEFAULTS, warnings)
    declared: list[DeclaredEntity] = []
    for flow in flows:
        declared.extend(_resolve_flow(flow, defaults, per_flow.get(flow.name), warnings))
    state_at = document.origin(("state", "path"))
    state_path = project.state.local_path
    # A state kept elsewhere (azure_blob) has no folder here: `.hygge` stays protected.
    state_dir = _under(root, state_path or ".hygge", state_at)
    if isinstance(source, LocalFolderSource) and state_path is not None:
        check_state_folder(root, state_path, state_dir, state_at)
    if state_path is None:
        check_state_connection(project, document)
    journal = project.journal
    journal_dir = (
        _under(root, journal.path, document.origin(("journal", "path")))
        if journal and journal.path
        else state_dir / "journal"
    )
    if isinstance(source, LocalFolderSource) and journal and journal.path:
        check_state_folder(
            root,
            journal.path,
            journal_dir,
            document.origin(("journal", "path")),
            key="journal.path",
            what="the journal folder",
            hint=JOURNAL_HINT,
        )
    flows_at = document.origin(("flows_dir",))
    protected = [root, _under(root, flows_dir, flows_at), state_dir, journal_dir]
    check_connections(declared, project)
    check_state_overlap(declared, project, root)
    check_shared_tables(root, declared, project.connections)
    if not on_disk:
        refuse_relative_paths(source, declared, project, document)
    check_folders(root, declared, protected, project.connections)
    return Workspace(
        root=root,
        on_disk=on_disk,
        location=source.label,
        name=project.name or root.name,
        project=project,
        flows={f.name: FlowInfo(name=f.name, file=f.file, entities=_names(f)) for f in flows},
        entities=[each.entity for each in declared],
        state_dir=state_dir,
        journal_dir=journal_dir,
        warnings=list(dict.fromkeys(warnings)),
    )


def check_state_connection(project: ProjectConfig, document: Tracked) -> None:
    """ConfigError naming hygge.yml's line when a non-local `state:` names a connection that
    is missing or not azure_blob, or is combined with a local `journal.path`."""
    name = getattr(project.state, "connection", None)
    found = project.connections.get(str(name))
    origin = document.origin(("state", "connection"))
    if found is None or found.type != "azure_blob":
        known = [n for n, c in project.connections.items() if c.type == "azure_blob"]
        what = "is not a connection of hygge.yml" if found is None else f"is a {found.type} one"
        listing = ", ".join(known) or "none"
        raise ConfigError(
            f"state.connection '{name}' {what}{did_you_mean(str(name), known)}; the "
            f"azure_blob state needs an azure_blob connection (known: {listing})",
            file=origin.file or PROJECT_FILE,
            line=origin.line,
            hint="add a `type: azure_blob` connection under `connections:` and name it here",
        )
    if project.journal is not None and project.journal.path:
        at = document.origin(("journal", "path"))
        raise ConfigError(
            "journal.path is a local folder, but the state is in blob storage, which keeps "
            "the journal next to it (<prefix>/journal/)",
            file=at.file or PROJECT_FILE,
            line=at.line,
            hint="remove journal.path, or keep the state local",
        )


def check_connections(declared: list[DeclaredEntity], project: ProjectConfig) -> None:
    """ConfigError, with a did-you-mean, for a `connection:` hygge.yml does not name."""
    known = list(project.connections)
    for each in declared:
        for block, origin in each.connection_at.items():
            config = getattr(each.entity, block)
            name = config.connection
            if name in project.connections:
                _check_blob_key(config, project.connections[name], each.entity.name, origin)
                continue
            listing = ", ".join(known) or "none"
            raise ConfigError(
                f"{block}.connection '{name}' is not a connection of hygge.yml"
                f"{did_you_mean(name, known)}; known: {listing}",
                file=origin.file,
                line=origin.line,
                hint="name one of hygge.yml's `connections:`, or add it there",
            )


def _check_blob_key(config: object, connection: object, entity: str, origin: Origin) -> None:
    """ConfigError unless a path on a blob connection is a plain key inside its container
    ('..' and '.' folders name nothing there, and must never reach another prefix)."""
    path = getattr(config, "path", None)
    if not isinstance(connection, AzureBlobConnection) or not isinstance(path, str):
        return
    if "://" in path:
        return  # a full address (a delta table's az://container/prefix): its store checks it
    key = path.replace("{entity}", entity).strip("/")
    try:
        check_key(key)
    except ValueError:
        raise ConfigError(
            f"path '{path}' on blob connection '{getattr(config, 'connection', '')}' is no "
            "plain folder of its container: '.', '..' and '//' name nothing in blob storage",
            file=origin.file,
            line=origin.line,
            hint="write the folder from the container's root down, e.g. `path: lake`",
        ) from None


def _read_project(
    source: WorkspaceSource, env: Mapping[str, str], warnings: list[str]
) -> tuple[Tracked, ProjectConfig]:
    file = find_config_file(source, "", "hygge")
    if file is None:
        hint = (
            _INIT_HINT
            if isinstance(source, LocalFolderSource)
            else f"put a workspace there with `hygge publish FOLDER {source.label}`"
        )
        raise ConfigError(f"no {PROJECT_FILE} in {source.label} (nor hygge.yaml)", hint=hint)
    document = read_document(source, file, env, keep=is_secret_path)
    options = document.data.get("options")
    for key in _LEGACY_OPTIONS:
        if isinstance(options, dict) and key in options:
            where = document.origin(("options", key)).describe()
            warnings.append(f"{where}: 'options.{key}' has no effect; remove it")
            document.pop(("options", key))
    try:
        project = ProjectConfig.model_validate(document.data)
    except ValidationError as exc:
        from hygge.config.explain import explain  # an error's only: not on every run

        raise explain(exc, document, ProjectConfig) from exc
    if project.journal is not None and project.journal.location is not None:
        where = document.origin(("journal", "location")).describe()
        warnings.append(
            f"{where}: 'journal.location' has no effect: hygge keeps the journal in the state "
            "folder (.hygge/journal) unless journal.path is given; remove it"
        )
    return document, project


def _flow_names(
    source: WorkspaceSource, flows_dir: str, document: Tracked, warnings: list[str]
) -> list[str]:
    origin = document.origin(("flows_dir",))
    example = f"{flows_dir}/<flow>/{FLOW_FILE}"
    hint = f"add a flow: create {example} with a home and a store, e.g. `home: data/in`"
    try:
        present = source.is_dir(flows_dir)
    except ValueError:  # a storage key: '..' or '/' leave a blob workspace's prefix
        raise ConfigError(
            f"flows_dir '{flows_dir}' lies outside the workspace at {source.label}: a workspace "
            "in blob storage holds its flows folder inside its own prefix",
            file=origin.file or document.file,
            line=origin.line,
            hint="keep the flows inside the workspace folder (e.g. `flows_dir: flows`) and "
            "publish it again",
        ) from None
    if not present:
        raise ConfigError(
            f"the flows folder '{flows_dir}' does not exist",
            file=origin.file or document.file,
            line=origin.line,
            hint=hint,
        )
    names = []
    for entry in source.list_dir(flows_dir):
        folder = f"{flows_dir}/{entry}"
        if entry.startswith(".") or not source.is_dir(folder):
            continue
        if find_config_file(source, folder, "flow") is not None:
            names.append(entry)
        else:
            warnings.append(
                f"{folder}: no {FLOW_FILE} (or flow.yaml), so it is not a flow; skipped"
            )
    if not names:
        raise ConfigError(
            f"the flows folder '{flows_dir}' holds no flow (no {example})",
            file=origin.file or document.file,
            line=origin.line,
            hint=hint,
        )
    return names


def _resolve_flow(
    flow: FlowSource, defaults: Tracked, override: Tracked | None, warnings: list[str]
) -> list[DeclaredEntity]:
    top: list[Tracked] = []
    if override is not None:
        override_flow, override_defaults = split_flow(override)
        top.append(build_layer(override_flow, "flow", OVERRIDE, warnings))
        top.append(build_layer(override_defaults, "defaults", OVERRIDE_DEFAULTS, warnings))
    resolved = []
    for entity in flow.entities:
        own = [entity.layer] if entity.layer is not None else []
        layers = [defaults, flow.layer, flow.defaults, *own, *top]
        resolved.append(resolve_entity(entity, layers, warnings))
    return resolved


def _names(flow: FlowSource) -> list[str]:
    return [entity.name for entity in flow.entities]


def _under(root: Path, path: str, origin: Origin) -> Path:
    reason = unexpanded(path)  # never expanded, as for home and store paths
    if reason is not None:
        raise ConfigError(
            f"path '{path}' {reason}",
            file=origin.file or PROJECT_FILE,
            line=origin.line,
            hint=UNEXPANDED_HINT,
        )
    candidate = Path(path)
    return candidate if candidate.is_absolute() else root / candidate
