"""JSON Schema (draft 2020-12) of hygge.yml, flow.yml and entity files, for editors.

Point yaml-language-server at it (`# yaml-language-server: $schema=...`) to get completion and
checks while typing. Every nested key is optional, because a flow, its defaults and an entity
file each give part of an entity's settings; unknown keys are rejected.
"""

from __future__ import annotations

import operator
from functools import reduce
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, Field, TypeAdapter

from hygge.config.files import EntityDefaultsConfig, EntityFileConfig, FlowFileConfig
from hygge.config.models import ProjectConfig
from hygge.config.watermark import WatermarkConfig
from hygge.connections import CONNECTION_TYPES
from hygge.homes import HOME_TYPES
from hygge.stores import STORE_TYPES
from hygge.tagged import TaggedConfigs

DRAFT = "https://json-schema.org/draft/2020-12/schema"
_REF = "#/$defs/{model}"
_TITLES = {"project": "hygge.yml", "flow": "flow.yml", "entity": "hygge entity file"}


def workspace_json_schema(kind: Literal["project", "flow", "entity"]) -> dict[str, Any]:
    """The JSON Schema of hygge.yml (`project`), flow.yml (`flow`) or an entity file."""
    models: dict[str, type[BaseModel]] = {
        "project": ProjectConfig,
        "flow": FlowFileConfig,
        "entity": EntityFileConfig,
    }
    model = models[kind]
    schema = model.model_json_schema(ref_template=_REF)
    defs: dict[str, Any] = schema.setdefault("$defs", {})
    if kind == "project":  # project defaults are entity settings
        defaults = EntityDefaultsConfig.model_json_schema(ref_template=_REF)
        defs.update(defaults.pop("$defs", {}))
        defs["EntityDefaultsConfig"] = defaults
        described = schema["properties"]["defaults"].get("description")
        schema["properties"]["defaults"] = {"$ref": _REF.format(model="EntityDefaultsConfig")}
        if described:
            schema["properties"]["defaults"]["description"] = described
        connections = schema["properties"]["connections"]  # validated by tag (`hygge.tagged`)
        connections["additionalProperties"] = {"oneOf": _variants(CONNECTION_TYPES, defs)}
    blocks = {"home": _block(HOME_TYPES, defs), "store": _block(STORE_TYPES, defs)}
    _replace_blocks(schema, blocks)
    _add_aliases(defs, WatermarkConfig)
    _strip_required(schema)
    for target in (schema, defs.get("EntityFileConfig")):
        if target is not None and target.get("title") == "EntityFileConfig":
            target["required"] = ["name"]
    schema["$schema"] = DRAFT
    schema["title"] = _TITLES[kind]
    return schema


def _block(configs: TaggedConfigs[Any], defs: dict[str, Any]) -> dict[str, Any]:
    """A home/store: a path string (parquet) or a block of one of the tagged config types."""
    text = {"type": "string", "description": "A path: shorthand for {type: parquet, path: …}."}
    return {"anyOf": [text, *_variants(configs, defs)]}


def _variants(configs: TaggedConfigs[Any], defs: dict[str, Any]) -> list[Any]:
    """The schema of each tagged config class, as a discriminated union of them gives it."""
    members: Any = reduce(operator.or_, configs.classes().values())
    tagged: Any = Annotated[members, Field(discriminator="type")]
    schema: dict[str, Any] = TypeAdapter(tagged).json_schema(ref_template=_REF)
    defs.update(schema.get("$defs", {}))
    variants: list[Any] = schema.get("oneOf", [])
    return variants


def _replace_blocks(node: Any, blocks: dict[str, dict[str, Any]]) -> None:
    """Give every `home`/`store` property the block schema instead of a free mapping."""
    if isinstance(node, dict):
        properties = node.get("properties")
        if isinstance(properties, dict):
            for name, block in blocks.items():
                if name in properties and "$ref" not in properties[name]:
                    described = properties[name].get("description")
                    properties[name] = {
                        **block,
                        **({"description": described} if described else {}),
                    }
        for value in node.values():
            _replace_blocks(value, blocks)
    elif isinstance(node, list):
        for value in node:
            _replace_blocks(value, blocks)


def _add_aliases(defs: dict[str, Any], model: type[BaseModel]) -> None:
    """List the original hygge's key names (`watermark_column`, `primary_key`) too."""
    target = defs.get(model.__name__)
    if target is None:
        return
    properties = target["properties"]
    for name, field in model.model_fields.items():
        if properties.get(name, {}).get("type") == "array":  # one value or a list
            properties[name] = {"anyOf": [properties[name]["items"], properties[name]]}
        if isinstance(field.validation_alias, AliasChoices):
            for alias in field.validation_alias.choices:
                if isinstance(alias, str) and alias != name:
                    properties[alias] = {**properties[name], "description": f"Alias of {name}."}


def _strip_required(node: Any) -> None:
    if isinstance(node, dict):
        node.pop("required", None)
        node.pop("discriminator", None)
        for value in node.values():
            _strip_required(value)
    elif isinstance(node, list):
        for value in node:
            _strip_required(value)
