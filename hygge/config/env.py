"""`${VAR}`, `${VAR:-default}` and `${VAR-default}` in every string value, as in a shell.

`${VAR:-default}` uses the default when VAR is unset or empty, `${VAR-default}` only when it
is unset; `$${VAR}` is a literal `${VAR}`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from hygge.config.tracked import KeyPath, Tracked
from hygge.errors import ConfigError

_REFERENCE = re.compile(r"\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)-([^}]*))?\}")


def substitute_env(tracked: Tracked, env: Mapping[str, str]) -> Tracked:
    """A copy of `tracked` with environment references in string values replaced."""
    data = _walk(tracked.data, (), tracked, env)
    return Tracked(data, dict(tracked.origins), tracked.file)


def _walk(value: Any, path: KeyPath, tracked: Tracked, env: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return _expand(value, path, tracked, env)
    if isinstance(value, dict):
        return {key: _walk(item, (*path, key), tracked, env) for key, item in value.items()}
    if isinstance(value, list):
        return [_walk(item, (*path, index), tracked, env) for index, item in enumerate(value)]
    return value


def _expand(text: str, path: KeyPath, tracked: Tracked, env: Mapping[str, str]) -> str:
    if "${" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        escaped, name, colon, default = match.groups()
        if escaped:
            return match.group(0)[1:]
        value = env.get(name)
        if default is not None and (value is None or (colon and value == "")):
            return default
        if value is not None:
            return value
        origin = tracked.origin(path)
        raise ConfigError(
            f"environment variable '{name}' is not set (used in {_dotted(path)})",
            file=origin.file,
            line=origin.line,
            hint=f"set {name}, or give a default: ${{{name}:-value}} (used when {name} is unset "
            f"or empty) or ${{{name}-value}} (used only when {name} is unset)",
        )

    return _REFERENCE.sub(replace, text)


def _dotted(path: KeyPath) -> str:
    return ".".join(str(part) for part in path) or "the file"
