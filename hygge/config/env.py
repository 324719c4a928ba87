"""`${VAR}`, `${VAR:-default}` and `${VAR-default}` in every string value, as in a shell.

`${VAR:-default}` uses the default when VAR is unset or empty, `${VAR-default}` only when it
is unset; `$${VAR}` is a literal `${VAR}`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from hygge.config.tracked import KeyPath, Tracked
from hygge.errors import ConfigError

_REFERENCE = re.compile(r"\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)-([^}]*))?\}")


Keep = Callable[[KeyPath], bool]


def substitute_env(
    tracked: Tracked, env: Mapping[str, str], keep: Keep = lambda path: False
) -> Tracked:
    """A copy of `tracked` with environment references in string values replaced, except at
    the paths `keep` names (secrets, resolved only when a home or store opens)."""
    data = _walk(tracked.data, (), tracked, env, keep)
    return Tracked(data, dict(tracked.origins), tracked.file)


def _walk(value: Any, path: KeyPath, tracked: Tracked, env: Mapping[str, str], keep: Keep) -> Any:
    if isinstance(value, str):
        return value if keep(path) else _expand(value, path, tracked, env)
    if isinstance(value, dict):
        return {k: _walk(item, (*path, k), tracked, env, keep) for k, item in value.items()}
    if isinstance(value, list):
        return [_walk(item, (*path, i), tracked, env, keep) for i, item in enumerate(value)]
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
