"""Turn a pydantic ValidationError into one ConfigError a person can act on.

The first error is reported, with the file and line of the key that caused it (looked up in
the merged data's provenance) and, for unknown keys and types, the nearest valid name.
"""

from __future__ import annotations

import re
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import AliasChoices, BaseModel, ValidationError
from pydantic_core import ErrorDetails

from hygge.config.suggest import did_you_mean
from hygge.config.tracked import KeyPath, Tracked
from hygge.errors import ConfigError
from hygge.tagged import member_of
from hygge.types import INVALID_SETTING

# Types the original hygge knew that this version does not implement yet.
NOT_YET_SUPPORTED: frozenset[str] = frozenset(
    {"mssql", "sqlite", "adls", "onelake", "postgres", "duckdb", "azure_blob"}
)
_QUOTED = re.compile(r"'([^']*)'")
_MISSING_HINTS = {
    key: f"every entity needs a {key}: set it in flow.yml (shared by its entities) or in "
    "the entity file"
    for key in ("home", "store")
}


def explain(
    error: ValidationError, tracked: Tracked, model: type[BaseModel], prefix: KeyPath = ()
) -> ConfigError:
    """The first problem in `error`, located through `tracked` (validated value at `prefix`)."""
    detail = _first(error.errors())
    loc = tuple(detail["loc"])
    path = _data_path(tracked.data, prefix, loc)
    origin = tracked.origin(path)
    ctx = detail.get("ctx") or {}
    if detail["type"] == INVALID_SETTING:  # a validator's own message, hint and key
        message, hint = f"{_dotted(path)}: {ctx['message']}", ctx.get("hint")
        if ctx.get("at") is not None:
            origin = tracked.origin((*path, str(ctx["at"])))
    else:
        message, hint = _describe(detail, loc, path, model)
    if detail["type"] == "union_tag_invalid":
        origin = tracked.origin((*path, "type"))
    return ConfigError(message, file=origin.file or None, line=origin.line, hint=hint)


def _first(details: list[ErrorDetails]) -> ErrorDetails:
    """The most telling error: a wrong type tag, then an unknown key (a misspelt key also
    shows up as a missing one), then the first in document order."""
    for kind in ("union_tag_invalid", "extra_forbidden"):
        for detail in details:
            if detail["type"] == kind:
                return detail
    return details[0]


def _dotted(path: KeyPath) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text.lstrip(".")


def _describe(
    detail: ErrorDetails, loc: tuple[Any, ...], path: KeyPath, model: type[BaseModel]
) -> tuple[str, str | None]:
    kind = detail["type"]
    dotted = _dotted(path)
    parent = _dotted(path[:-1]) if kind in {"extra_forbidden", "missing"} else dotted
    in_parent = f" in {parent}" if parent else ""
    if kind == "extra_forbidden":
        key = str(loc[-1])
        valid = keys_at(model, loc[:-1])
        hint = "valid keys: " + ", ".join(sorted(valid)) if valid else None
        return f"unknown key '{key}'{in_parent}{did_you_mean(key, valid)}", hint
    if kind == "missing":
        hint = _MISSING_HINTS.get(str(loc[-1])) if len(path) == 1 else None
        return f"missing required key '{loc[-1]}'{in_parent}", hint
    if kind == "union_tag_invalid":
        return _unknown_type(detail, dotted)
    message = detail["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind in {"value_error", "assertion_error"}:
        return (f"{dotted}: {message}" if dotted else message), None
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        return f"'{dotted}' must be a mapping of keys, got {detail['input']!r}", None
    suggestion = ""
    if kind in {"enum", "literal_error"} and isinstance(detail["input"], str):
        expected = _QUOTED.findall(str((detail.get("ctx") or {}).get("expected", "")))
        suggestion = did_you_mean(detail["input"], expected)
    text = message[:1].lower() + message[1:]
    return f"invalid value {detail['input']!r} for '{dotted}': {text}{suggestion}", None


def _unknown_type(detail: ErrorDetails, block: str) -> tuple[str, str | None]:
    ctx = detail.get("ctx") or {}
    tag = str(ctx.get("tag", ""))
    supported = _QUOTED.findall(str(ctx.get("expected_tags", "")))
    hint = f"supported {block} types: " + ", ".join(supported)
    if tag in NOT_YET_SUPPORTED:
        return f"{block} type '{tag}' is not supported by this version of hygge yet", hint
    given = detail["input"].get("type", _ABSENT) if isinstance(detail["input"], dict) else _ABSENT
    if given is None or given == "":  # `type: ~`, `type: null`, or nothing after `type:`
        return f"{block} `type` is empty; give it one of the {block} types", hint
    return f"unknown {block} type '{tag}'{did_you_mean(tag, supported)}", hint


def _data_path(data: Any, prefix: KeyPath, loc: tuple[Any, ...]) -> KeyPath:
    """The path into the data that `loc` names, skipping union tags pydantic adds to it."""
    value: Any = data
    for part in prefix:
        value = value.get(part, _ABSENT) if isinstance(value, dict) else _ABSENT
    path: list[str | int] = list(prefix)
    for index, part in enumerate(loc):
        if _has(value, part):
            value = value[part]
        elif isinstance(part, str) and _is_tag(value, part, last=index == len(loc) - 1):
            continue
        else:
            value = _ABSENT
        path.append(part)
    return tuple(path)


_ABSENT = object()


def _has(value: Any, part: Any) -> bool:
    if isinstance(value, dict):
        return part in value
    return isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value)


def _is_tag(value: Any, part: str, *, last: bool) -> bool:
    """True when `part` names a union member (`parquet`, `str`), not a key of `value`.

    A mapping without `type` takes its union's default tag (`state: {path: x}` is `local`):
    a part that is not its key and not the last (a missing key) is that tag.
    """
    if isinstance(value, dict):
        return value.get("type") == part or ("type" not in value and not last)
    return value is not _ABSENT  # a scalar or list has no keys: the part names a member type


def keys_at(model: type[BaseModel], loc: tuple[Any, ...]) -> set[str]:
    """The valid keys of the mapping at `loc` inside `model` (follows union tags)."""
    current: list[Any] = [model]
    for part in loc:
        following: list[Any] = []
        for leaf in (leaf for tp in current for leaf in leaf_types(tp)):
            if isinstance(part, int):
                if get_origin(leaf) is list:
                    following.append(get_args(leaf)[0])
            elif isinstance(leaf, type) and issubclass(leaf, BaseModel):
                field = _field_named(leaf, part)
                if field is not None:
                    following.append(field)
                elif _tag_of(leaf) == part:
                    following.append(leaf)
                elif (member := member_of(leaf, part)) is not None:
                    following.append(member)  # a home/store block, under its tag
        current = following
    keys: set[str] = set()
    for leaf in (leaf for tp in current for leaf in leaf_types(tp)):
        if isinstance(leaf, type) and issubclass(leaf, BaseModel):
            keys.update(_names(leaf))
    return keys


def leaf_types(tp: Any) -> list[Any]:
    origin = get_origin(tp)
    if origin is Annotated:
        return leaf_types(get_args(tp)[0])
    if origin is Union or origin is UnionType:
        return [leaf for arg in get_args(tp) for leaf in leaf_types(arg)]
    return [tp]


def _field_named(model: type[BaseModel], key: str) -> Any:
    for name, field in model.model_fields.items():
        if key == name or key in _aliases_of(field.validation_alias):
            return field.annotation
    return None


def _names(model: type[BaseModel]) -> set[str]:
    names = set(model.model_fields)
    for field in model.model_fields.values():
        names.update(_aliases_of(field.validation_alias))
    return names


def _aliases_of(alias: Any) -> list[str]:
    if isinstance(alias, AliasChoices):
        return [choice for choice in alias.choices if isinstance(choice, str)]
    return [alias] if isinstance(alias, str) else []


def _tag_of(model: type[BaseModel]) -> Any:
    field = model.model_fields.get("type")
    return field.default if field is not None else None
