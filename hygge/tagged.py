"""Tagged config blocks (`home:`, `store:`): each validated by the one class its `type` names.

A pydantic discriminated union builds the validator of every member when the model holding it
is built, and imports every member's module first. A `TaggedConfigs` registry maps each tag to
an import path instead: a block imports and validates only the class its tag names, so loading
a workspace of parquet flows never builds the SQL, Delta or Open Mirroring models.

Errors keep the union's shapes (`union_tag_invalid`, `union_tag_not_found`, a member's errors
located under its tag), so the loader's explanations read them as before.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from typing import Any, Generic, TypeVar, cast

from pydantic import BaseModel, ValidationError, ValidationInfo
from pydantic_core import ErrorDetails, InitErrorDetails, PydanticCustomError, PydanticKnownError
from pydantic_core.core_schema import ErrorType, SerializationInfo

__all__ = ["TaggedConfigs", "member_of"]

Config = TypeVar("Config", bound=BaseModel)

_DISCRIMINATOR = "'type'"
_MESSAGE = "hygge_message"  # the context key carrying a custom error's message, re-located
_KNOWN_ERRORS: frozenset[str] = frozenset(ErrorType.__args__)  # type: ignore[attr-defined]
_REGISTRIES: dict[type[BaseModel], TaggedConfigs[Any]] = {}


class TaggedConfigs(Generic[Config]):
    """The config classes of one kind of block, by tag, imported when a block names them.

    `paths` maps each tag to `module:Class`, in the order error messages list the tags.
    """

    # `base` is abstract (a config's `open` is), hence not `type[Config]`.
    def __init__(self, base: type[BaseModel], paths: Mapping[str, str]) -> None:
        self.base = base
        self.paths = dict(paths)
        self._loaded: dict[str, type[Config]] = {}
        _REGISTRIES[base] = self

    def tags(self) -> list[str]:
        return list(self.paths)

    def get(self, tag: str) -> type[Config] | None:
        """The class `tag` names (its module imported now), or None for an unknown tag."""
        found = self._loaded.get(tag)
        if found is not None or tag not in self.paths:
            return found
        module, _, name = self.paths[tag].partition(":")
        loaded = getattr(importlib.import_module(module), name)
        if not (isinstance(loaded, type) and issubclass(loaded, self.base)):
            raise TypeError(f"{self.paths[tag]} is no {self.base.__name__}")
        self._loaded[tag] = cast(type[Config], loaded)
        return self._loaded[tag]

    def imported(self, tag: str) -> type[Config] | None:
        """The class `tag` names if its module is imported already, else None (importing
        nothing): no block of that kind exists in this process until its module is."""
        module = self.paths.get(tag, "").partition(":")[0]
        return self.get(tag) if module in sys.modules else None

    def classes(self) -> dict[str, type[Config]]:
        """Every class by tag (imports them all: for the JSON Schema and for tests)."""
        return {tag: cls for tag in self.paths if (cls := self.get(tag)) is not None}

    def class_named(self, package: str, name: str) -> Any:
        """The config class called `name`, imported now (a package's lazy `__getattr__`)."""
        for path in self.paths.values():
            module, _, attribute = path.partition(":")
            if attribute == name:
                return getattr(importlib.import_module(module), attribute)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def validate(self, value: object, info: ValidationInfo) -> Config:
        """`value` validated by the class its `type` names; a config instance is kept."""
        if isinstance(value, self.base):  # kept if it is of the class its tag names
            tag = str(getattr(value, "type", ""))
            cls = self.get(tag)
            if cls is None or not isinstance(value, cls):
                raise self._unknown(tag)
            return value
        if not isinstance(value, Mapping):
            raise PydanticKnownError("model_attributes_type")
        if "type" not in value:
            raise PydanticKnownError("union_tag_not_found", {"discriminator": _DISCRIMINATOR})
        tag = str(value["type"])
        cls = self.get(tag)
        if cls is None:
            raise self._unknown(tag)
        try:
            return cls.model_validate(value, context=info.context)
        except ValidationError as error:
            raise _under_tag(error, tag) from None

    def _unknown(self, tag: str) -> PydanticKnownError:
        expected = ", ".join(f"'{known}'" for known in self.paths)
        return PydanticKnownError(
            "union_tag_invalid",
            {"discriminator": _DISCRIMINATOR, "tag": tag, "expected_tags": expected},
        )

    def dump(self, value: Config, info: SerializationInfo) -> Any:
        """`value` serialised as its own class (not as the base), honouring the dump's mode."""
        return value.model_dump(
            mode=info.mode,
            by_alias=bool(info.by_alias),
            exclude_unset=info.exclude_unset,
            exclude_defaults=info.exclude_defaults,
            exclude_none=info.exclude_none,
            round_trip=info.round_trip,
        )


def member_of(base: object, tag: object) -> type[BaseModel] | None:
    """The class `tag` names among the tagged configs of `base`, or None if `base` has none."""
    registry = _REGISTRIES.get(base) if isinstance(base, type) else None
    return registry.get(tag) if registry is not None and isinstance(tag, str) else None


def _under_tag(error: ValidationError, tag: str) -> ValidationError:
    """`error` with every location under `tag`, as a discriminated union locates them."""
    return ValidationError.from_exception_data(
        error.title, [_located(detail, tag) for detail in error.errors()]
    )


def _located(detail: ErrorDetails, tag: str) -> InitErrorDetails:
    kind, ctx = detail["type"], detail.get("ctx")
    located: InitErrorDetails = {
        "type": kind,
        "loc": (tag, *detail["loc"]),
        "input": detail["input"],
    }
    if kind not in _KNOWN_ERRORS:
        # A validator's own error keeps its context and exact message: the message is put in
        # whole by the template's last (and only) placeholder, so no brace in it is filled.
        context = {**(ctx or {}), _MESSAGE: detail["msg"]}
        located["type"] = PydanticCustomError(kind, "{" + _MESSAGE + "}", context)
    elif ctx is not None:
        located["ctx"] = ctx
    return located
