"""Turn one piece of a workspace file into a normalised layer of entity settings.

A layer holds only keys the merge understands (home, store, run_type, watermark, polish,
queue_size and the store-default keys): shorthands are expanded, aliases renamed, legacy keys
dropped with a warning, and unknown keys rejected with the file, line and a suggestion.
"""

from __future__ import annotations

import copy
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ValidationError

from hygge.config.files import DEFAULTS_KEYS, ENTITY_KEYS, FLOW_KEYS, LEGACY_KEYS
from hygge.config.models import JournalConfig
from hygge.config.suggest import did_you_mean
from hygge.config.tracked import Tracked
from hygge.config.watermark import WatermarkConfig
from hygge.errors import ConfigError

LayerKind = Literal["flow", "defaults", "entity"]

# Ranks, lowest precedence first: the order in which an entity's layers merge.
PROJECT_DEFAULTS, FLOW, FLOW_DEFAULTS, ENTITY, OVERRIDE, OVERRIDE_DEFAULTS = range(6)

# Keys the loader handles before a layer is built (the flow's name, defaults and entity list).
_FLOW_ONLY = frozenset({"name", "defaults", "entities"})
_FLOW_OPTION_KEYS = ("queue_size", "timeout")  # honoured under flow `options:` too


def build_layer(part: Tracked, kind: LayerKind, rank: int, warnings: list[str]) -> Tracked:
    """A normalised copy of `part` (a flow, a `defaults` block or an entity) at `rank`."""
    layer = Tracked(copy.deepcopy(part.data), dict(part.origins), part.file).with_rank(rank)
    _check_keys(layer, kind)
    if kind == "flow":
        _lift_flow_options(layer, warnings)
    for key in LEGACY_KEYS:
        if key in layer.data and not (kind == "flow" and key == "options"):
            warnings.append(f"{layer.origin((key,)).describe()}: '{key}' has no effect; remove it")
            layer.pop((key,))
    _drop_journal(layer, warnings)
    for block in ("home", "store"):
        _expand_block(layer, block)
    _rename_aliases(layer, "watermark", WatermarkConfig)
    _resolve_full_drop(layer)
    return layer


def _check_keys(layer: Tracked, kind: LayerKind) -> None:
    valid = {"flow": FLOW_KEYS - _FLOW_ONLY, "defaults": DEFAULTS_KEYS, "entity": ENTITY_KEYS}[kind]
    _rename_primary_key(layer)
    for key in layer.data:
        if key in valid:
            continue
        origin = layer.origin((key,))
        if key == "name" and kind == "defaults":
            raise ConfigError(
                "'name' cannot be a default: every entity needs its own name",
                file=origin.file,
                line=origin.line,
                hint="remove name from defaults",
            )
        where = {"flow": "a flow", "defaults": "defaults", "entity": "an entity"}[kind]
        raise ConfigError(
            f"unknown key '{key}' in {where}{did_you_mean(key, valid)}",
            file=origin.file,
            line=origin.line,
            hint="valid keys: " + ", ".join(sorted(valid - set(LEGACY_KEYS))),
        )


def _lift_flow_options(layer: Tracked, warnings: list[str]) -> None:
    options = layer.data.get("options")
    if options is not None and not isinstance(options, dict):
        origin = layer.origin(("options",))
        raise ConfigError("'options' must be a mapping of keys", file=origin.file, line=origin.line)
    for key in list(options or {}):
        source = ("options", key)
        if key in _FLOW_OPTION_KEYS and key not in layer.data:
            layer.move(source, (key,))
        elif key not in _FLOW_OPTION_KEYS:
            where = layer.origin(source).describe()
            warnings.append(f"{where}: 'options.{key}' has no effect in a flow; remove it")
    layer.pop(("options",))


def _drop_journal(layer: Tracked, warnings: list[str]) -> None:
    if "journal" not in layer.data:
        return
    try:
        JournalConfig.model_validate(layer.data["journal"] or {})
    except ValidationError as exc:
        from hygge.config.explain import explain  # an error's only: not on every run

        raise explain(exc, layer, JournalConfig, prefix=("journal",)) from exc
    warnings.append(
        f"{layer.origin(('journal',)).describe()}: 'journal' in a flow or entity has no effect: "
        "hygge keeps one journal per workspace (journal.path in hygge.yml); remove it"
    )
    layer.pop(("journal",))


def _expand_block(layer: Tracked, block: str) -> None:
    """`store: some/path` means `{type: parquet, path: some/path}`."""
    if block not in layer.data:
        return
    value = layer.data[block]
    origin = layer.origin((block,))
    if isinstance(value, str):
        layer.data[block] = {"type": "parquet", "path": value}
        layer.origins[(block, "type")] = origin
        layer.origins[(block, "path")] = origin
    elif isinstance(value, dict):
        layer.data[block] = dict(value)
    else:
        shown = "nothing" if value is None else repr(value)
        raise ConfigError(
            f"'{block}' must be a path or a mapping with 'type', got {shown}",
            file=origin.file,
            line=origin.line,
            hint=f"e.g. `{block}: data/x` or `{block}: {{type: parquet, path: data/x}}`",
        )


def _rename_primary_key(layer: Tracked) -> None:
    """A top-level `primary_key` (the original's name) is `key_columns`."""
    if "primary_key" not in layer.data:
        return
    if "key_columns" in layer.data:
        origin = layer.origin(("primary_key",))
        raise ConfigError(
            "both 'key_columns' and 'primary_key' are given (the same setting); keep one",
            file=origin.file,
            line=origin.line,
        )
    layer.move(("primary_key",), ("key_columns",))


def _rename_aliases(layer: Tracked, key: str, model: type[BaseModel]) -> None:
    """Rename the original hygge's key names (e.g. `watermark_column`) to hygge's own."""
    block = layer.data.get(key)
    if not isinstance(block, dict):
        return
    layer.data[key] = dict(block)
    for alias, name in _aliases(model).items():
        if alias not in block:
            continue
        if name in block:
            origin = layer.origin((key, alias))
            raise ConfigError(
                f"'{key}' gives both '{name}' and '{alias}' (the same setting); keep one",
                file=origin.file,
                line=origin.line,
            )
        layer.move((key, alias), (key, name))


def _aliases(model: type[BaseModel]) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for name, field in model.model_fields.items():
        alias = field.validation_alias
        choices: list[Any] = list(alias.choices) if isinstance(alias, AliasChoices) else [alias]
        aliases.update({c: name for c in choices if isinstance(c, str) and c != name})
    return aliases


def _resolve_full_drop(layer: Tracked) -> None:
    """The legacy `full_drop: true|false` becomes `run_type` within the same layer."""
    value = layer.data.get("full_drop")
    if value is None:  # absent, or `full_drop:` left empty (the original's "not set")
        layer.pop(("full_drop",))
        return
    origin = layer.origin(("full_drop",))
    if not isinstance(value, bool):
        raise ConfigError(
            f"'full_drop' must be true or false, got {value!r}",
            file=origin.file,
            line=origin.line,
            hint="or use run_type: full_drop | incremental",
        )
    implied = "full_drop" if value else "incremental"
    given = layer.data.get("run_type")
    if given is not None and (given == "full_drop") != value:
        raise ConfigError(
            f"'full_drop: {str(value).lower()}' contradicts 'run_type: {given}'",
            file=origin.file,
            line=origin.line,
            hint="keep run_type and remove full_drop (full_drop is the original hygge's flag)",
        )
    if given is None:
        layer.put(("run_type",), implied, origin)
    layer.pop(("full_drop",))
