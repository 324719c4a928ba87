"""`--var flow.<flow>.<dotted.path>=value`: command-line settings above every file."""

from __future__ import annotations

import re
from collections.abc import Sequence

from hygge.config.suggest import did_you_mean
from hygge.config.tracked import Origin, Tracked
from hygge.errors import ConfigError
from hygge.types import JsonScalar

_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+(\.\d*)?[eE][+-]?\d+)")
_FORM = "--var flow.<flow>.<key>=<value>, e.g. --var flow.sales.run_type=incremental"
_NOT_SETTABLE = frozenset({"name", "entities"})


def parse_value(text: str) -> JsonScalar:
    """true/false → bool, integers → int, decimals → float, `null` → None, else the text."""
    lowered = text.strip().lower()
    if lowered in {"true", "false"}:
        return lowered == "true"
    if lowered == "null":
        return None
    if _INTEGER.fullmatch(text.strip()):
        return int(text)
    if _DECIMAL.fullmatch(text.strip()):
        return float(text)
    return text


def parse_overrides(overrides: Sequence[str], flows: Sequence[str]) -> dict[str, Tracked]:
    """The overrides of each flow, as a flow.yml-shaped mapping (later ones win)."""
    result: dict[str, Tracked] = {}
    for text in overrides:
        flow, path, value = _split(text, flows)
        label = f"--var {text.split('=', 1)[0].strip()}"
        tracked = result.setdefault(flow, Tracked({}, {}, label))
        node = tracked.data
        for depth, key in enumerate(path[:-1]):
            child = node.get(key)
            if not isinstance(child, dict):
                child = node[key] = {}
                tracked.origins[path[: depth + 1]] = Origin(label)
            node = child
        node[path[-1]] = value
        tracked.origins[path] = Origin(label)
    return result


def _split(text: str, flows: Sequence[str]) -> tuple[str, tuple[str, ...], JsonScalar]:
    key, equals, raw = text.partition("=")
    key = key.strip()
    if not equals or not key.startswith("flow."):
        raise ConfigError(f"malformed --var '{text}'", hint=f"write {_FORM}")
    rest = key.removeprefix("flow.")
    matches = [f for f in flows if rest.startswith(f"{f}.")]
    if not matches:
        named = rest.split(".", 1)[0]
        raise ConfigError(
            f"--var '{text}' names unknown flow '{named}'{did_you_mean(named, flows)}",
            hint="flows in this workspace: " + ", ".join(flows),
        )
    flow = max(matches, key=len)  # flow names may hold dots: prefer the longest
    path = tuple(rest[len(flow) + 1 :].split("."))
    if any(not part for part in path):
        raise ConfigError(f"malformed --var '{text}': empty key in the path", hint=f"write {_FORM}")
    if path[0] in _NOT_SETTABLE:
        raise ConfigError(
            f"--var '{text}': '{path[0]}' cannot be set from the command line",
            hint="set entity settings with --var flow.<flow>.defaults.<key>=<value>",
        )
    return flow, path, parse_value(raw)
