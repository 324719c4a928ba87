"""The loaded workspace: project settings (hygge.yml) and fully merged entities."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

from hygge.config.suggest import did_you_mean
from hygge.config.watermark import WatermarkConfig
from hygge.connections import ConnectionConfigUnion
from hygge.errors import ConfigError
from hygge.homes import HomeConfigUnion
from hygge.polish.config import PolishConfig
from hygge.state.config import LocalStateConfig, StateConfigUnion
from hygge.stores import StoreConfigUnion
from hygge.types import RunType, Strict


class OptionsConfig(Strict):
    """hygge.yml `options`: how a run of the whole workspace behaves."""

    concurrency: int | None = Field(
        None, ge=1, description="Entities moved at once (default: the engine's choice)."
    )
    continue_on_error: bool = Field(
        False, description="Keep running other entities after one fails; the run still fails."
    )
    log_level: str | None = Field(None, description="DEBUG, INFO, WARNING or ERROR.")
    on_interrupted: Literal["resume", "restart"] = Field(
        "resume",
        description="What `hygge go` does with an entity run a crash left behind: continue it "
        "from its checkpoint, or discard it and start again.",
    )
    checkpoint_rows: int = Field(
        1_000_000,
        ge=1,
        description="Rows moved between checkpoints: at most this much work is redone after "
        "a crash.",
    )
    checkpoint_seconds: float = Field(
        30.0, gt=0, description="Seconds between checkpoints, whichever comes first."
    )


class JournalConfig(Strict):
    """`journal`: where the run journal lives.

    hygge keeps the journal in the state folder (`<state>/journal`) unless `path` is given.
    `location` is accepted so the original hygge's workspaces load, but it has no effect.
    """

    path: str | None = Field(
        None,
        description="Journal folder, relative to the workspace root (default: .hygge/journal).",
    )
    location: Literal["store", "home", "default"] | None = Field(
        None, description="Accepted for compatibility with the original hygge; has no effect."
    )


class ProjectConfig(Strict):
    """hygge.yml."""

    name: str | None = Field(None, description="Workspace name (default: the folder's name).")
    flows_dir: str = Field("flows", min_length=1, description="Folder holding one folder per flow.")
    connections: dict[str, ConnectionConfigUnion] = Field(
        default_factory=dict,
        description="Named connections that homes and stores refer to with `connection:`; "
        "secrets are written as ${VAR} and read from the environment when a run opens them.",
    )
    options: OptionsConfig = Field(default_factory=OptionsConfig)
    journal: JournalConfig | None = None
    state: StateConfigUnion = Field(
        default_factory=LocalStateConfig,
        description="Where watermarks, checkpoints, locks and the journal are kept: "
        "`{type: local, path: .hygge}` (the default).",
    )
    defaults: dict[str, Any] = Field(
        default_factory=dict,
        description="Entity settings every flow starts from (lowest precedence).",
    )


MAX_PARALLEL = 64  # partitions of one entity run: each is a thread (or an activity) at once


class ResolvedEntity(BaseModel):
    """Everything the engine needs for one entity, fully merged; paths are final."""

    model_config = ConfigDict(extra="forbid")

    flow: str
    name: str
    home: HomeConfigUnion
    store: StoreConfigUnion
    run_type: RunType = RunType.FULL_DROP
    merge_strategy: str | None = None  # one of the store's `merge_strategies`
    watermark: WatermarkConfig | None = None
    # Row identity (merge, the lookback margin); `watermark.key_columns` is the same setting.
    key_columns: list[str] = Field(
        default_factory=list,
        validation_alias=AliasChoices("key_columns", "primary_key"),
        description="Row identity: merge keys, and the lookback margin's de-duplication "
        "(alias: primary_key; watermark.key_columns is the same setting).",
    )
    polish: PolishConfig | None = None
    queue_size: int = Field(4, ge=1, le=100)
    parallel: int = Field(1, ge=1, le=MAX_PARALLEL)  # partitions of the window moved at once
    source_file: str  # workspace-relative file that defined the entity
    # Where settings checked only at run time were written: dotted key -> (file, line).
    origins: dict[str, tuple[str, int | None]] = Field(default_factory=dict)

    @field_validator("key_columns", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("parallel", mode="before")
    @classmethod
    def _a_number_not_a_switch(cls, value: object) -> object:
        """`parallel: true` is no number of partitions (pydantic would take it as 1)."""
        if isinstance(value, bool):
            raise ValueError(
                f"parallel must be a whole number from 1 to {MAX_PARALLEL} (how many "
                f"partitions move at once), not {str(value).lower()}"
            )
        return value

    @model_validator(mode="after")
    def _one_set_of_keys(self) -> ResolvedEntity:
        """`key_columns` and `watermark.key_columns` are one setting: both hold it after, and
        so does a store block that merges on them (a `key_columns` field) if it names none."""
        if self.watermark is not None:
            keys = self.key_columns or self.watermark.key_columns
            self.watermark.key_columns = keys
            self.key_columns = keys
        store_keys = "key_columns" in type(self.store).model_fields
        if store_keys and self.key_columns and not getattr(self.store, "key_columns", None):
            self.store = self.store.model_copy(update={"key_columns": list(self.key_columns)})
        return self

    @property
    def qualified_name(self) -> str:
        return f"{self.flow}.{self.name}"


class FlowInfo(BaseModel):
    """A flow as found on disk."""

    name: str
    file: str
    entities: list[str]


class Workspace(BaseModel):
    """A loaded, validated workspace."""

    # Built when the first workspace loads, from the validators of ProjectConfig and
    # ResolvedEntity that loading built just before (not a second copy of theirs at import).
    model_config = ConfigDict(defer_build=True)

    root: Path  # a placeholder (the location as a path) when not on_disk
    on_disk: bool = True  # False: read from blob storage, with no local folder
    location: str = ""  # where the files were read: a folder path or a URI (az://c/prefix)
    name: str
    project: ProjectConfig
    flows: dict[str, FlowInfo]
    entities: list[ResolvedEntity]
    state_dir: Path
    journal_dir: Path
    warnings: list[str] = Field(default_factory=list)

    def entity(self, qualified: str) -> ResolvedEntity:
        """The entity named `flow.entity`; ConfigError with a suggestion when unknown."""
        for entity in self.entities:
            if entity.qualified_name == qualified:
                return entity
        names = [entity.qualified_name for entity in self.entities]
        shown = ", ".join(names[:20]) + (" …" if len(names) > 20 else "")
        raise ConfigError(
            f"unknown entity '{qualified}'{did_you_mean(qualified, names)}",
            hint=f"entities are named flow.entity; this workspace has: {shown}",
        )
