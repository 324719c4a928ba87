"""Read one flow folder: flow.yml, its `defaults`, and its entities (inline or entities/*.yml)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from hygge.config.entity import EntitySource
from hygge.config.env import Keep, substitute_env
from hygge.config.layers import ENTITY, FLOW, FLOW_DEFAULTS, build_layer
from hygge.config.source import WorkspaceSource
from hygge.config.tracked import Origin, Tracked
from hygge.config.yaml_file import parse_yaml
from hygge.connections import is_secret_path
from hygge.errors import ConfigError
from hygge.state.layout import FILE_NAME_MAX_BYTES, MAX_NAME_BYTES

FLOW_FILE = "flow.yml"
YAML_SUFFIXES = (".yml", ".yaml")  # every workspace file may end in either
ENTITIES_DIR = "entities"
FLOW_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
ENTITY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_LETTERS = "ASCII letters (A-Z, a-z), digits, '_' and '-'"  # 'ø' is a letter, and refused
_NAME_RULE = f"{_LETTERS}, starting with a letter, digit or '_'"
_ENTITY_RULE = f"{_LETTERS}, starting with a letter or digit"


@dataclass
class FlowSource:
    """A flow as read from its folder, ready to merge into entities."""

    name: str
    file: str
    layer: Tracked  # flow-level keys
    defaults: Tracked  # the flow's `defaults:`
    entities: list[EntitySource] = field(default_factory=list)


def find_config_file(source: WorkspaceSource, folder: str, stem: str) -> str | None:
    """`<folder>/<stem>.yml` or `<stem>.yaml`, whichever exists (None: neither); a ConfigError
    naming both when both do."""
    found = [f"{folder}/{stem}{suffix}".lstrip("/") for suffix in YAML_SUFFIXES]
    found = [file for file in found if source.exists(file)]
    if len(found) > 1:
        raise ConfigError(
            f"both {stem}.yml and {stem}.yaml are here; hygge would not know which one to read",
            file=folder or source.label,
            hint=f"keep one of {found[0]} and {found[1]}",
        )
    return found[0] if found else None


def read_document(
    source: WorkspaceSource, file: str, env: Mapping[str, str], keep: Keep = lambda path: False
) -> Tracked:
    """Parse a workspace file and substitute environment variables in it (except at `keep`)."""
    try:
        text = source.read_text(file)
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"the file is not UTF-8 text: byte 0x{exc.object[exc.start]:02x} cannot be read",
            file=file,
            line=line,
            hint="save the file as UTF-8 (hygge reads workspace files as UTF-8 only)",
        ) from None
    return substitute_env(parse_yaml(text, file), env, keep)


def split_flow(document: Tracked) -> tuple[Tracked, Tracked]:
    """(flow-level keys, the `defaults` block) of a flow.yml-shaped mapping."""
    defaults = document.data.get("defaults")
    if defaults is not None and not isinstance(defaults, dict):
        origin = document.origin(("defaults",))
        raise ConfigError(
            "'defaults' must be a mapping of entity settings",
            file=origin.file,
            line=origin.line,
            hint="e.g. defaults: {batch_size: 50000}",
        )
    rest = {k: v for k, v in document.data.items() if k not in {"defaults", "entities", "name"}}
    origins = {p: o for p, o in document.origins.items() if p[0] in rest}
    return Tracked(rest, origins, document.file), document.child("defaults")


def read_flow(
    source: WorkspaceSource, flows_dir: str, name: str, env: Mapping[str, str], warnings: list[str]
) -> FlowSource:
    """Read `<flows_dir>/<name>/`; the folder name names the flow."""
    folder = f"{flows_dir}/{name}"
    file = find_config_file(source, folder, "flow") or f"{folder}/{FLOW_FILE}"
    if not FLOW_NAME.fullmatch(name):
        raise ConfigError(
            f"invalid flow name '{name}': use {_NAME_RULE} (dots allowed)",
            file=folder,
            hint="rename the flow's folder",
        )
    _check_name_length(name, "flow", Origin(folder), hint="rename the flow's folder")
    document = read_document(source, file, env, keep=is_secret_path)
    _check_declared_name(document, name, warnings)
    flow_part, defaults_part = split_flow(document)
    flow = FlowSource(
        name=name,
        file=file,
        layer=build_layer(flow_part, "flow", FLOW, warnings),
        defaults=build_layer(defaults_part, "defaults", FLOW_DEFAULTS, warnings),
    )
    flow.entities = _entity_files(source, flow, env, document, warnings) or _inline_entities(
        flow, document, warnings
    )
    if not flow.entities:
        _check_entity_name(name, Origin(file), implicit=True)
        flow.entities = [EntitySource(name, name, file, None, None)]
    _check_unique(flow.entities)
    return flow


def _check_declared_name(document: Tracked, name: str, warnings: list[str]) -> None:
    declared = document.data.get("name")
    if declared is not None and declared != name:
        warnings.append(
            f"{document.origin(('name',)).describe()}: name '{declared}' differs from the "
            f"folder name '{name}', which names the flow; the name key is ignored"
        )


def _entity_files(
    source: WorkspaceSource,
    flow: FlowSource,
    env: Mapping[str, str],
    document: Tracked,
    warnings: list[str],
) -> list[EntitySource]:
    folder = f"{flow.file.rsplit('/', 1)[0]}/{ENTITIES_DIR}"
    if not source.is_dir(folder):
        return []
    names = [n for n in source.list_dir(folder) if n.endswith(YAML_SUFFIXES)]
    entities = []
    for file_name in names:
        entity_document = read_document(source, f"{folder}/{file_name}", env, keep=is_secret_path)
        at_file = Origin(entity_document.file, None)
        entities.append(_entity(flow, entity_document, at_file, warnings))
    if entities and document.data.get("entities"):
        where = document.origin(("entities",)).describe()
        warnings.append(f"{where}: inline entities are ignored because {folder}/ holds files")
    return entities


def _inline_entities(
    flow: FlowSource, document: Tracked, warnings: list[str]
) -> list[EntitySource]:
    items = document.data.get("entities")
    if items is None:
        return []
    if not isinstance(items, list):
        origin = document.origin(("entities",))
        raise ConfigError(
            "'entities' must be a list of names or mappings with 'name'",
            file=origin.file,
            line=origin.line,
            hint="e.g. entities: [orders, customers]",
        )
    entities = []
    for index, item in enumerate(items):
        origin = document.origin(("entities", index))
        if isinstance(item, str):
            _check_entity_name(item, origin)
            layer = Tracked({}, {}, flow.file)
            entities.append(EntitySource(flow.name, item, flow.file, layer, origin.line))
        elif isinstance(item, dict):
            prefix = ("entities", index)
            origins = {p[2:]: o for p, o in document.origins.items() if p[:2] == prefix and p[2:]}
            entities.append(_entity(flow, Tracked(item, origins, flow.file), origin, warnings))
        else:
            raise ConfigError(
                f"an entity must be a name or a mapping with 'name', got {item!r}",
                file=origin.file,
                line=origin.line,
            )
    return entities


def _entity(
    flow: FlowSource, document: Tracked, where: Origin, warnings: list[str]
) -> EntitySource:
    """An entity from a mapping with `name`: an entity file, or an inline entity at `where`."""
    name = document.data.get("name")
    if name is None:
        raise ConfigError(
            "an entity needs a 'name'",
            file=where.file,
            line=where.line,
            hint="add `name: <entity>` (letters, digits, '_' and '-')",
        )
    _check_entity_name(name, document.origin(("name",)))
    settings = Tracked(
        {k: v for k, v in document.data.items() if k != "name"},
        {p: o for p, o in document.origins.items() if p[0] != "name"},
        document.file,
    )
    layer = build_layer(settings, "entity", ENTITY, warnings)
    return EntitySource(flow.name, str(name), document.file, layer, where.line)


def _check_entity_name(name: object, origin: Origin, implicit: bool = False) -> None:
    if isinstance(name, str) and ENTITY_NAME.fullmatch(name):
        _check_name_length(name, "entity", origin, hint="shorten the name")
        return
    why = " (a flow without entities has one entity named after it)" if implicit else ""
    if isinstance(name, str) and name.startswith(("_", ".")):
        # The entity name becomes a folder of file homes and stores.
        raise ConfigError(
            f"invalid entity name {name!r}{why}: names starting with '_' or '.' are reserved: "
            "file readers skip such folders as hidden, and '_hygge_staging' is where file "
            "stores stage a run",
            file=origin.file,
            line=origin.line,
            hint=f"rename {'the flow folder' if implicit else 'it'} to start with a letter or "
            f"digit{_renamed(name)}",
        )
    raise ConfigError(
        f"invalid entity name {name!r}{why}: use {_ENTITY_RULE}; no dots",
        file=origin.file,
        line=origin.line,
    )


def _check_name_length(name: str, what: str, origin: Origin, *, hint: str) -> None:
    """Names become state, journal and staging file names: keep them well inside 255 bytes."""
    size = len(name.encode())
    if size <= MAX_NAME_BYTES:
        return
    raise ConfigError(
        f"{what} name '{name[:20]}…' is {size} bytes long; flow and entity names are limited "
        f"to {MAX_NAME_BYTES} bytes, so that the state and staging files named after them fit "
        f"in a file name ({FILE_NAME_MAX_BYTES} bytes)",
        file=origin.file,
        line=origin.line,
        hint=hint,
    )


def _renamed(name: str) -> str:
    stripped = name.lstrip("_.")
    return f", e.g. {stripped!r}" if ENTITY_NAME.fullmatch(stripped) else ""


def _check_unique(entities: list[EntitySource]) -> None:
    seen: dict[str, EntitySource] = {}
    for entity in entities:
        first = seen.setdefault(entity.name, entity)
        if first is not entity:
            raise ConfigError(
                f"entity '{entity.name}' is defined twice in flow '{entity.flow}': "
                f"in {_at(first)} and in {_at(entity)}",
                file=entity.file,
                line=entity.line,
                hint="rename or remove one of them",
            )


def _at(entity: EntitySource) -> str:
    return Origin(entity.file, entity.line).describe()
