"""Config data that remembers where every key came from (file, line, precedence rank).

The loader merges several layers (hygge.yml defaults, flow.yml, flow defaults, entity file,
`--var` overrides) into one dict per entity; provenance follows each key so that a validation
error found after merging still points at the file and line that caused it.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

KeyPath: TypeAlias = tuple[str | int, ...]

# Blocks whose `type` decides their model: a layer naming another type replaces the block.
TYPED_BLOCKS: frozenset[str] = frozenset({"home", "store"})


@dataclass(frozen=True)
class Origin:
    """Where a key was written: a workspace-relative file (or `--var …`), its line, its rank."""

    file: str
    line: int | None = None
    rank: int = 0

    def describe(self) -> str:
        return self.file if self.line is None else f"{self.file} line {self.line}"


@dataclass
class Tracked:
    """A mapping plus the origin of each key path in it."""

    data: dict[str, Any]
    origins: dict[KeyPath, Origin] = field(default_factory=dict)
    file: str = ""  # where keys without a recorded origin are blamed

    def origin(self, path: KeyPath) -> Origin:
        """The origin of `path`, or of its nearest recorded ancestor."""
        for end in range(len(path), 0, -1):
            found = self.origins.get(path[:end])
            if found is not None:
                return found
        return Origin(self.file)

    def child(self, key: str) -> Tracked:
        """The mapping under `key` with origins re-rooted at it (empty if absent)."""
        value = self.data.get(key)
        data = value if isinstance(value, dict) else {}
        origins = {p[1:]: o for p, o in self.origins.items() if len(p) > 1 and p[0] == key}
        return Tracked(data, origins, self.file)

    def with_rank(self, rank: int) -> Tracked:
        origins = {p: Origin(o.file, o.line, rank) for p, o in self.origins.items()}
        return Tracked(self.data, origins, self.file)

    def pop(self, path: KeyPath) -> Any:
        """Remove the value at `path` (and the origins under it); return it (None if absent)."""
        parent: Any = self.data
        for part in path[:-1]:
            parent = parent.get(part) if isinstance(parent, dict) else None
        value = parent.pop(path[-1], None) if isinstance(parent, dict) else None
        self.origins = {p: o for p, o in self.origins.items() if p[: len(path)] != path}
        return value

    def move(self, source: KeyPath, target: KeyPath) -> None:
        """Move the value at `source` to `target`, keeping the origins of everything under it."""
        moved = {
            (*target, *p[len(source) :]): o
            for p, o in self.origins.items()
            if p[: len(source)] == source
        }
        value = self.pop(source)
        self.put(target, value, None)
        self.origins.update(moved)

    def put(self, path: KeyPath, value: Any, origin: Origin | None) -> None:
        """Set the value at `path`, creating parent mappings; record its origin."""
        parent = self.data
        for part in path[:-1]:
            parent = parent.setdefault(str(part), {})
        parent[str(path[-1])] = value
        self.origins = {p: o for p, o in self.origins.items() if p[: len(path)] != path}
        if origin is not None:
            self.origins[path] = origin


def merge_layers(layers: Sequence[Tracked], file: str) -> Tracked:
    """Deep-merge `layers` (lowest precedence first); lists and scalars replace.

    A `home`/`store` block naming a different `type` than the merged one so far replaces it.
    """
    merged = Tracked({}, {}, file)
    for layer in layers:
        _merge_into(merged, layer, layer.data, ())
    return merged


def _merge_into(merged: Tracked, layer: Tracked, source: dict[str, Any], prefix: KeyPath) -> None:
    target: Any = merged.data
    for part in prefix:
        target = target[part]
    for key, value in source.items():
        path = (*prefix, key)
        current = target.get(key)
        if (
            isinstance(value, dict)
            and isinstance(current, dict)
            and not _replaces(path, current, value)
        ):
            if path in layer.origins:
                merged.origins[path] = layer.origins[path]
            _merge_into(merged, layer, value, path)
            continue
        target[key] = copy.deepcopy(value)
        merged.origins = {p: o for p, o in merged.origins.items() if p[: len(path)] != path}
        merged.origins.update({p: o for p, o in layer.origins.items() if p[: len(path)] == path})


def _replaces(path: KeyPath, current: dict[str, Any], new: dict[str, Any]) -> bool:
    if len(path) != 1 or path[0] not in TYPED_BLOCKS:
        return False
    return "type" in current and "type" in new and current["type"] != new["type"]
