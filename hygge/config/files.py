"""The shape of each workspace file: which keys flow.yml and entity files may hold.

These models name the valid keys (for 'unknown key' errors) and describe the files for the
JSON schema; values are validated after merging, as a `ResolvedEntity`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field
from pydantic.config import JsonDict

from hygge.config.models import MAX_PARALLEL, JournalConfig
from hygge.config.watermark import WatermarkConfig
from hygge.polish.config import PolishConfig
from hygge.types import RunType, Strict

# Keys the original hygge copied from an entity's top level into its store block.
STORE_DEFAULT_KEYS: tuple[str, ...] = (
    "if_exists",
    "batch_size",
    "parallel_workers",
    "timeout",
    "deletion_query_timeout",
)
# Keys the original hygge's templates wrote but never used: accepted with a warning.
LEGACY_KEYS: tuple[str, ...] = ("columns", "source_config", "options", "key_column")

_LEGACY: JsonDict = {"deprecated": True}


class EntityDefaultsConfig(Strict):
    """Entity settings: an entity file, an inline entity, or a `defaults` block."""

    home: str | dict[str, Any] | None = Field(
        None, description="Where the data lives: a path (parquet) or a block with `type`."
    )
    store: str | dict[str, Any] | None = Field(
        None, description="Where the data goes: a path (parquet) or a block with `type`."
    )
    run_type: RunType | None = Field(None, description="full_drop (default), incremental, merge.")
    merge_strategy: str | None = Field(
        None, description="How a merge run writes: one of the store's merge strategies."
    )
    full_drop: bool | None = Field(
        None, description="Legacy: true means run_type full_drop, false means incremental."
    )
    watermark: WatermarkConfig | None = None
    key_columns: list[str] | str | None = Field(
        None,
        description="Row identity: merge keys, and the lookback margin's de-duplication "
        "(alias: primary_key; the same setting as watermark.key_columns).",
    )
    journal: JournalConfig | None = None
    polish: PolishConfig | None = None
    queue_size: int | None = Field(None, ge=1, le=100, description="Batches buffered in memory.")
    parallel: int | None = Field(
        None,
        ge=1,
        le=MAX_PARALLEL,
        description="Move the entity's window in up to this many partitions at once (file "
        "homes: runs of neighbouring files); they commit together as one run. Default 1.",
    )
    if_exists: Literal["fail", "append", "replace"] | None = Field(
        None, description="Copied into the store block when the store type has this key."
    )
    batch_size: int | None = Field(
        None, ge=1, description="Copied into the store block (rows per file for file stores)."
    )
    parallel_workers: int | None = Field(
        None, ge=1, description="Copied into the store block when the store type has this key."
    )
    timeout: int | float | None = Field(
        None, description="Copied into the store block when the store type has this key."
    )
    deletion_query_timeout: int | float | None = Field(
        None, description="Copied into the store block when the store type has this key."
    )
    columns: Any = Field(None, description="No effect (original hygge).", json_schema_extra=_LEGACY)
    source_config: Any = Field(
        None, description="No effect (original hygge).", json_schema_extra=_LEGACY
    )
    options: Any = Field(None, description="No effect (original hygge).", json_schema_extra=_LEGACY)
    key_column: Any = Field(
        None, description="No effect (original hygge).", json_schema_extra=_LEGACY
    )


class EntityFileConfig(EntityDefaultsConfig):
    """flows/<flow>/entities/<file>.yml, or one dict of a flow's inline `entities:` list."""

    name: str = Field(description="Entity name: letters, digits, '_' and '-' (no dots).")


class FlowFileConfig(Strict):
    """flows/<flow>/flow.yml."""

    name: str | None = Field(None, description="Must equal the folder name, which names the flow.")
    home: str | dict[str, Any] | None = Field(
        None, description="Where the data lives: a path (parquet) or a block with `type`."
    )
    store: str | dict[str, Any] | None = Field(
        None, description="Where the data goes: a path (parquet) or a block with `type`."
    )
    defaults: EntityDefaultsConfig | None = Field(
        None, description="Settings every entity of the flow starts from (entities win)."
    )
    entities: list[str | EntityFileConfig] | None = Field(
        None, description="Inline entities; files in entities/ replace this list."
    )
    run_type: RunType | None = Field(None, description="full_drop (default), incremental, merge.")
    merge_strategy: str | None = Field(
        None, description="How a merge run writes: one of the store's merge strategies."
    )
    full_drop: bool | None = Field(
        None, description="Legacy: true means run_type full_drop, false means incremental."
    )
    watermark: WatermarkConfig | None = None
    key_columns: list[str] | str | None = Field(
        None,
        description="Row identity: merge keys, and the lookback margin's de-duplication "
        "(alias: primary_key; the same setting as watermark.key_columns).",
    )
    journal: JournalConfig | None = None
    queue_size: int | None = Field(None, ge=1, le=100, description="Batches buffered in memory.")
    parallel: int | None = Field(
        None, ge=1, le=MAX_PARALLEL, description="Partitions of each entity's window moved at once."
    )
    timeout: int | float | None = Field(
        None, description="Copied into the store block when the store type has this key."
    )
    options: dict[str, Any] | None = Field(
        None, description="queue_size and timeout here act like the top-level keys."
    )
    polish: PolishConfig | None = None


ENTITY_KEYS: frozenset[str] = frozenset(EntityFileConfig.model_fields)
DEFAULTS_KEYS: frozenset[str] = frozenset(EntityDefaultsConfig.model_fields)
FLOW_KEYS: frozenset[str] = frozenset(FlowFileConfig.model_fields)
