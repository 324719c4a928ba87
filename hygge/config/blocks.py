"""Home and store blocks: the default type and each entity's final path."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from hygge.config.tracked import Tracked

DEFAULT_TYPE = "parquet"  # a block without `type` is parquet (the original's behaviour)
ENTITY_PLACEHOLDER = "{entity}"
_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


def is_absolute(path: str) -> bool:
    """A path that is not joined onto the flow's path: rooted, `~`, a drive or a URL."""
    return path.startswith(("/", "\\", "~")) or bool(_DRIVE.match(path)) or "://" in path


def join_path(base: str, child: str) -> str:
    if base in {"", "."}:
        return child
    return f"{base.rstrip('/')}/{child}"


def final_path(
    block: str,
    layers: Sequence[Tracked],
    entity_layer: Tracked | None,
    entity: str,
    per_entity_folder: bool,
) -> Any:
    """The entity's path for `block`, from the flow path and the entity's own path.

    For file homes/stores (`per_entity_folder`) the entity name is appended to the flow path,
    or the entity's own relative path is joined onto it; `{entity}` is always replaced. The
    implicit entity of a flow without entities (`entity_layer` None) uses the flow path as is.
    """
    base, own = _layer_paths(block, layers, entity_layer)
    if not isinstance(base, str | None) or not isinstance(own, str | None):
        return own if own is not None else base  # not a string: validation reports it
    if own is None:
        path = base
        if path is None:
            return None
        if per_entity_folder and entity_layer is not None and ENTITY_PLACEHOLDER not in path:
            path = join_path(path, entity)
    elif base is None or is_absolute(own) or not per_entity_folder:
        path = own
    else:
        path = join_path(base, own)
    return path.replace(ENTITY_PLACEHOLDER, entity)


def flow_root(block: str, layers: Sequence[Tracked], entity_layer: Tracked | None) -> str | None:
    """The flow's own path for `block` (up to any `{entity}`), which entity folders sit in."""
    base, _ = _layer_paths(block, layers, entity_layer)
    if not isinstance(base, str):
        return None
    return base.split(ENTITY_PLACEHOLDER, 1)[0] or "."


def _layer_paths(
    block: str, layers: Sequence[Tracked], entity_layer: Tracked | None
) -> tuple[Any, Any]:
    """(the flow's path, the entity's own path) for `block`, after type replacements."""
    block_type: Any = None
    base: Any = None
    own: Any = None
    for layer in layers:
        settings = layer.data.get(block)
        if not isinstance(settings, dict):
            continue
        new_type = settings.get("type")
        if new_type is not None and block_type is not None and new_type != block_type:
            base = own = None  # a block of another type replaces the one below it
        block_type = new_type if new_type is not None else block_type
        if "path" in settings:
            if layer is entity_layer:
                own = settings["path"]
            else:
                base = settings["path"]
    return base, own
