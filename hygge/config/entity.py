"""Merge an entity's layers into one validated `ResolvedEntity`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from hygge.config.blocks import DEFAULT_TYPE, ENTITY_PLACEHOLDER, final_path, flow_root
from hygge.config.files import STORE_DEFAULT_KEYS
from hygge.config.models import ResolvedEntity
from hygge.config.tracked import Origin, Tracked, merge_layers
from hygge.errors import ConfigError
from hygge.homes import HOME_TYPES
from hygge.stores import STORE_TYPES, StoreConfig
from hygge.tagged import TaggedConfigs
from hygge.types import RunType

# Only the classes a block names are imported (and built when the entity validates).
_CLASSES: dict[str, TaggedConfigs[Any]] = {"home": HOME_TYPES, "store": STORE_TYPES}


@dataclass(frozen=True)
class EntitySource:
    """An entity as declared: its name, the file that defines it and its own settings."""

    flow: str
    name: str
    file: str
    layer: Tracked | None  # None: the implicit entity of a flow without entities
    line: int | None = None  # where an inline entity is declared in flow.yml


@dataclass(frozen=True)
class DeclaredEntity:
    """A resolved entity with where it and its paths are written, for checks across entities."""

    source: EntitySource
    entity: ResolvedEntity
    home_at: Origin  # where the home's path (or the home) is set
    store_at: Origin
    store_root: str | None = None  # the flow's store path the entity folder is joined onto
    connection_at: dict[str, Origin] = field(default_factory=dict)  # block -> `connection:`


def resolve_entity(
    source: EntitySource, layers: Sequence[Tracked], warnings: list[str]
) -> DeclaredEntity:
    """Merge `layers` (lowest precedence first), apply paths and shorthands, validate."""
    merged = merge_layers(layers, source.file)
    for block in ("home", "store"):
        settings = merged.data.get(block)
        if isinstance(settings, dict):
            settings.setdefault("type", DEFAULT_TYPE)
            _set_path(merged, block, layers, source)
            _replace_entity(merged, block, source.name)
    _hoist_polish(merged)
    _hoist_incremental(merged)
    _share_key_columns(merged)
    _apply_store_defaults(merged, warnings)
    payload = {**merged.data, "flow": source.flow, "name": source.name}
    payload["source_file"] = source.file
    payload["origins"] = _run_time_origins(merged)
    try:
        entity = ResolvedEntity.model_validate(payload)
    except ValidationError as exc:
        from hygge.config.explain import explain  # an error's only: not on every run

        raise explain(exc, merged, ResolvedEntity) from exc
    _check_capabilities(entity, merged)
    home_at, store_at = (merged.origin((block, "path")) for block in ("home", "store"))
    store_root = flow_root("store", layers, source.layer)
    named = [b for b in ("home", "store") if getattr(entity, b).connection is not None]
    connection_at = {b: merged.origin((b, "connection")) for b in named}
    return DeclaredEntity(source, entity, home_at, store_at, store_root, connection_at)


# Settings whose fit is known only when data is read: run-time errors name their line.
_RUN_TIME_CHECKED = (("watermark", "column"), ("watermark", "lookback"), ("watermark", "initial"))


def _run_time_origins(merged: Tracked) -> dict[str, tuple[str, int | None]]:
    found = {path: merged.origins.get(path) for path in _RUN_TIME_CHECKED}
    return {".".join(map(str, p)): (o.file, o.line) for p, o in found.items() if o is not None}


def _set_path(merged: Tracked, block: str, layers: Sequence[Tracked], source: EntitySource) -> None:
    settings: dict[str, Any] = merged.data[block]
    config_class = _CLASSES[block].get(str(settings["type"]))
    per_entity_folder = bool(getattr(config_class, "entity_subfolder", False))
    path = final_path(block, layers, source.layer, source.name, per_entity_folder)
    if path is None and isinstance(config_class, type) and issubclass(config_class, StoreConfig):
        default = config_class.default_path(settings)  # e.g. OneLake's Files/{entity}
        path = None if default is None else default.replace(ENTITY_PLACEHOLDER, source.name)
    if path is not None:
        settings["path"] = path


def _replace_entity(merged: Tracked, block: str, entity: str) -> None:
    """`{entity}` becomes the entity's name in the fields the config declares for it; in any
    other field it is a ConfigError naming the field (it would be read literally)."""
    settings: dict[str, Any] = merged.data[block]
    config_class = _CLASSES[block].get(str(settings["type"]))
    if config_class is None:
        return  # an unknown type: validation reports it
    replaced = set(getattr(config_class, "entity_fields", ()))
    literal = set(getattr(config_class, "pattern_fields", ()))
    for key, value in settings.items():
        if not isinstance(value, str) or ENTITY_PLACEHOLDER not in value or key in literal:
            continue
        if key in replaced:
            settings[key] = value.replace(ENTITY_PLACEHOLDER, entity)
            continue
        origin = merged.origin((block, key))
        takes = ", ".join(sorted(replaced)) or "no field"
        raise ConfigError(
            f"{block}.{key} contains {ENTITY_PLACEHOLDER}, which {settings['type']} {block}s "
            f"replace only in: {takes}",
            file=origin.file,
            line=origin.line,
            hint=f"write the {key} out, or move {ENTITY_PLACEHOLDER} into {takes}",
        )


def _hoist_polish(merged: Tracked) -> None:
    """`store.polish` (the original's place) and `polish:` are one setting; keep one."""
    store = merged.data.get("store")
    if not isinstance(store, dict) or "polish" not in store:
        return
    if "polish" in merged.data:
        in_store = merged.origin(("store", "polish"))
        top = merged.origin(("polish",))
        raise ConfigError(
            f"polish is given twice: as store.polish ({in_store.describe()}) and as "
            f"polish ({top.describe()})",
            file=top.file,
            line=top.line,
            hint="keep one of them",
        )
    merged.move(("store", "polish"), ("polish",))


def _hoist_incremental(merged: Tracked) -> None:
    """The original's `store.incremental: true|false` sets run_type (incremental | full_drop)
    unless a run_type of higher precedence is given; one of the same layer must agree."""
    store = merged.data.get("store")
    value = store.get("incremental") if isinstance(store, dict) else None
    if not isinstance(value, bool):
        return  # absent, or not a boolean: validation reports that
    at = merged.origin(("store", "incremental"))
    implied = RunType.INCREMENTAL.value if value else RunType.FULL_DROP.value
    given = merged.data.get("run_type")
    if given is None or merged.origin(("run_type",)).rank < at.rank:
        merged.put(("run_type",), implied, at)
    elif given != implied and merged.origin(("run_type",)).rank == at.rank:
        raise ConfigError(
            f"store.incremental: {str(value).lower()} contradicts run_type: {given} "
            f"({merged.origin(('run_type',)).describe()})",
            file=at.file,
            line=at.line,
            hint="keep run_type and remove store.incremental (the original hygge's override)",
        )


def _share_key_columns(merged: Tracked) -> None:
    """`key_columns` and `watermark.key_columns` are one setting: given in both places they
    must agree; given in one, the other takes it (the lookback margin needs the keys)."""
    watermark = merged.data.get("watermark")
    if "key_columns" not in merged.data or not isinstance(watermark, dict):
        return
    top, inner = merged.data["key_columns"], watermark.get("key_columns")
    if inner is not None and _as_list(inner) != _as_list(top):
        origin = merged.origin(("key_columns",))
        inside = merged.origin(("watermark", "key_columns"))
        raise ConfigError(
            f"key_columns {_as_list(top)} disagrees with watermark.key_columns "
            f"{_as_list(inner)} ({inside.describe()}); they are one setting",
            file=origin.file,
            line=origin.line,
            hint="keep one of them (key_columns at the entity is enough)",
        )
    if inner is None:
        merged.put(("watermark", "key_columns"), top, merged.origin(("key_columns",)))


def _as_list(value: object) -> object:
    return [value] if isinstance(value, str) else value


def _apply_store_defaults(merged: Tracked, warnings: list[str]) -> None:
    """Top-level `batch_size`, `if_exists`, … go into the store block if its type has them."""
    store = merged.data.get("store")
    store_class = _CLASSES["store"].get(str(store.get("type"))) if isinstance(store, dict) else None
    for key in STORE_DEFAULT_KEYS:
        if key not in merged.data:
            continue
        origin = merged.origin((key,))
        value = merged.pop((key,))
        if store_class is None or not isinstance(store, dict):
            continue  # no or unknown store: validation reports that
        if key not in store_class.model_fields:
            warnings.append(
                f"{origin.describe()}: '{key}' has no effect for store type "
                f"'{store['type']}'; remove it"
            )
            continue
        explicit = merged.origins.get(("store", key))
        if key in store and explicit is not None and explicit.rank >= origin.rank:
            continue  # the store block says so at the same or a higher precedence
        merged.put(("store", key), value, origin)


def _check_capabilities(entity: ResolvedEntity, merged: Tracked) -> None:
    """ConfigError for a run type or merge strategy the store does not declare it can do."""
    capabilities = type(entity.store).capabilities
    allowed = {run_type: capabilities.supports(run_type) for run_type in RunType}
    if not allowed[entity.run_type]:
        key = ("run_type",) if "run_type" in merged.data else ("store", "type")
        origin = merged.origin(key)
        supported = ", ".join(run_type.value for run_type, ok in allowed.items() if ok)
        raise ConfigError(
            f"entity {entity.qualified_name}: run_type '{entity.run_type.value}' is not "
            f"supported by store type '{entity.store.type}' (it supports: {supported})",
            file=origin.file,
            line=origin.line,
            hint=f"use one of {supported}, or a store that supports {entity.run_type.value}",
        )
    strategy = entity.merge_strategy
    if strategy is not None and strategy not in capabilities.merge_strategies:
        origin = merged.origin(("merge_strategy",))
        listed = ", ".join(sorted(capabilities.merge_strategies)) or "none: it cannot merge"
        raise ConfigError(
            f"entity {entity.qualified_name}: merge_strategy '{strategy}' is not supported by "
            f"store type '{entity.store.type}' (its merge strategies: {listed})",
            file=origin.file,
            line=origin.line,
            hint="remove merge_strategy, or use a store that lists it",
        )
    if entity.parallel > 1:
        _check_parallel(entity, merged)
    _check_home_partitions(entity, merged)
    if entity.watermark is not None and not type(entity.home).capabilities.watermark:
        origin = merged.origin(("watermark",))
        raise ConfigError(
            f"home type '{entity.home.type}' cannot filter rows by a watermark",
            file=origin.file,
            line=origin.line,
            hint="remove watermark, or use a home that supports it",
        )


def _check_parallel(entity: ResolvedEntity, merged: Tracked) -> None:
    """`parallel` needs a home that reads partitions, and no lookback margin (one margin per
    run, which partitions moving at once would each overwrite)."""
    origin = merged.origin(("parallel",))
    if not type(entity.home).capabilities.splits_window:
        raise ConfigError(
            f"parallel: {entity.parallel}: home type '{entity.home.type}' cannot read its "
            "window in partitions",
            file=origin.file,
            line=origin.line,
            hint="remove parallel, or use a home that splits its window (file homes do)",
        )
    if entity.watermark is not None and entity.watermark.lookback is not None:
        raise ConfigError(
            f"parallel: {entity.parallel} cannot be combined with watermark.lookback (the "
            "lookback margin is kept for the whole run, not per partition)",
            file=origin.file,
            line=origin.line,
            hint="remove parallel, or remove watermark.lookback",
        )


def _check_home_partitions(entity: ResolvedEntity, merged: Tracked) -> None:
    """A SQL home's `partitions: N` moves N key ranges at once: no lookback margin either."""
    count = getattr(entity.home, "partitions", None)
    if not isinstance(count, int) or count < 2 or entity.watermark is None:
        return
    if entity.watermark.lookback is not None:
        origin = merged.origin(("home", "partitions"))
        raise ConfigError(
            f"home partitions: {count} cannot be combined with watermark.lookback (the "
            "lookback margin is kept for the whole run, not per partition)",
            file=origin.file,
            line=origin.line,
            hint="remove the home's partitions, or remove watermark.lookback",
        )
