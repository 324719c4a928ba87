"""Small shared types: run types, JSON aliases, the strict config base, a plugin's place."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TypeAlias

from pydantic import BaseModel, ConfigDict, JsonValue
from pydantic_core import PydanticCustomError

from hygge.errors import ConfigError

JsonScalar: TypeAlias = str | int | float | bool | None

__all__ = [
    "INVALID_SETTING",
    "UNEXPANDED_HINT",
    "JsonScalar",
    "JsonValue",
    "Place",
    "RunStatus",
    "RunType",
    "Strict",
    "invalid_setting",
    "unexpanded",
]

INVALID_SETTING = "invalid_setting"  # the pydantic error type of `invalid_setting`

_SHELL_VARIABLE = re.compile(r"(?:^|/)(\$[A-Za-z_][A-Za-z0-9_]*)")


def unexpanded(path: str) -> str | None:
    """Why `path` would be taken literally where its author meant a shell expansion, or None.

    hygge expands neither `~` nor `$NAME` (only `${NAME}`, when the config loads): a path
    starting with `~`, or with a folder written `$NAME`, would create a folder of that name.
    """
    if path.startswith("~"):
        return (
            "starts with '~'; hygge does not expand '~', and will not guess whether you meant "
            "your home folder"
        )
    found = _SHELL_VARIABLE.search(path)
    if found is None:
        return None
    name = found.group(1)
    return (
        f"has a folder written '{name}'; hygge substitutes only ${{{name[1:]}}} (with braces), "
        f"so '{name}' would be a folder of that name"
    )


UNEXPANDED_HINT = (
    "write the path out (e.g. /home/me/lake, or lake for a folder in the workspace), or use "
    "${HOME}/lake if you really mean a folder in your home"
)


class RunType(StrEnum):
    """How an entity run changes its store."""

    FULL_DROP = "full_drop"
    INCREMENTAL = "incremental"
    MERGE = "merge"


class RunStatus(StrEnum):
    """Outcome of one entity run, as written to the journal."""

    SUCCESS = "success"
    SKIP = "skip"
    FAIL = "fail"
    NOT_RUN = "not_run"  # never started (an earlier failure or a cancel stopped the run)


class Strict(BaseModel):
    """Base for every config model: unknown keys are errors, values validate on assignment.

    A model's own validator is built when it first validates (`defer_build`), not at import:
    most config models only nest in `ResolvedEntity` or `ProjectConfig`, whose validators
    include theirs, and a command pays nothing for the ones it never validates alone.
    """

    model_config = ConfigDict(
        extra="forbid", validate_assignment=True, populate_by_name=True, defer_build=True
    )


def invalid_setting(message: str, *, at: str | None = None, hint: str | None = None) -> Exception:
    """A validator's error that the loader reports with this message and hint, at the line of
    the key `at` inside the validated field (e.g. one key of `format_options`)."""
    return PydanticCustomError(
        INVALID_SETTING, "{message}", {"message": message, "at": at, "hint": hint}
    )


@dataclass(frozen=True)
class Place:
    """Where a plugin is opened: the workspace root (relative paths resolve here) and names.

    `workspace` is the workspace's name (hygge.yml `name`): stores record it as their owner.
    `connections` are the hygge.yml connections a home or store may name (`connection:`),
    their secrets still `${VAR}` references: a plugin resolves what it names when it opens.
    """

    root: Path
    flow: str
    entity: str
    workspace: str = ""
    connections: Mapping[str, Strict] = field(default_factory=dict, compare=False, hash=False)

    def resolve(self, path: str) -> Path:
        """A config path made absolute against the workspace root (never the current directory)."""
        reason = unexpanded(path)  # a typo must not point a store at a home
        if reason is not None:
            raise ConfigError(
                f"path '{path}' of {self.flow}.{self.entity} {reason}", hint=UNEXPANDED_HINT
            )
        p = Path(path)
        return p if p.is_absolute() else (self.root / p)

    def real_label(self, path: Path) -> str:
        """`path` as a stable identity: `./lake/orders` when its real path is inside the real
        workspace root (so a workspace moved whole keeps its state), else the absolute real path.
        """
        real, root = Path(os.path.realpath(path)), Path(os.path.realpath(self.root))
        if real.is_relative_to(root):
            inside = real.relative_to(root).as_posix()
            return "." if inside == "." else f"./{inside}"
        return real.as_posix()
