"""`type: delta`: a Delta Lake table per entity (delta-rs), local, in Azure storage or OneLake.

    store: {type: delta, path: lake/delta}                  # a folder: lake/delta/<entity>
    store: {type: delta, path: "sales.Lakehouse/Tables/{entity}", connection: onelake}
    store: {type: delta, path: "az://lake/tables/{entity}", connection: adls}
    store: {type: delta, path: "abfss://<workspace>@onelake.dfs.fabric.microsoft.com/<lakehouse>.Lakehouse/Tables/{entity}"}
    store: {type: delta, path: "abfss://lake@acct.dfs.core.windows.net/t/{entity}",
            credential: service_principal, tenant_id: …, client_id: …, client_secret: ${SECRET}}

The store itself is `hygge.stores.delta.store`; where the table lives and how delta-rs reaches
it, `hygge.stores.delta.location`.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from hygge.stores.azure_credentials import CREDENTIAL_FIELDS, InlineCredential
from hygge.stores.base import StoreCapabilities, StoreConfig
from hygge.types import Place, RunType, invalid_setting

URL_SCHEMES = ("az://", "abfss://", "abfs://", "https://")
DEFAULT_VACUUM_RETENTION_HOURS = 168  # Delta's own default: a week of old versions readable


class DeltaStoreConfig(StoreConfig, InlineCredential):
    """A Delta Lake table per entity; see the module docstring and docs/delta.md."""

    type: Literal["delta"] = "delta"
    path: str = Field(
        min_length=1,
        description="The table folder: a local folder (relative to the workspace); with "
        "`connection:` (azure_blob) a folder in its container or az://container/prefix; abfss://fs@account.dfs.core.windows.net/"
        "prefix, https://account.dfs.core.windows.net/fs/prefix, or a OneLake "
        "<lakehouse>.Lakehouse/Tables/[<schema>/]{entity} address. The entity is a sub-folder "
        "unless `{entity}` is in the path.",
    )
    key_columns: list[str] = Field(
        default_factory=list, description="Merge keys (set from the entity's key_columns)."
    )
    partition_by: list[str] = Field(
        default_factory=list,
        description="Partition the table by these columns (a folder per value, a Delta "
        "partitioned table readers prune by). Each must be a column of the data; a full_drop "
        "may change it, incremental and merge runs keep the table's.",
    )
    optimize_every: int | None = Field(
        None,
        ge=1,
        description="Compact the table's small files after every N-th publish (None: never).",
    )
    vacuum_every: int | None = Field(
        None,
        ge=1,
        description="Delete files no version within `vacuum_retention_hours` reads, after "
        "every N-th publish (None: never).",
    )
    vacuum_retention_hours: int = Field(
        DEFAULT_VACUUM_RETENTION_HOURS,
        ge=1,
        description="Old versions stay readable (time travel) for at least this long; vacuum "
        "keeps every file they need. Below 168 (a week) a reader still on an old version can "
        "lose files mid-read.",
    )
    adopt_existing: bool = Field(
        False,
        description="Take over a Delta table hygge did not create (its next run replaces "
        "or adds to it, and marks it hygge's). Never a folder of other files.",
    )

    entity_subfolder: ClassVar[bool] = True
    entity_fields: ClassVar[tuple[str, ...]] = ("path",)
    capabilities: ClassVar[StoreCapabilities] = StoreCapabilities(
        run_types=frozenset(RunType),
        merge_strategies=frozenset({"upsert"}),
        # Data and completion marker (watermark included) are one Delta commit.
        transactional=True,
        atomic_visibility=frozenset(RunType),
        preferred_batch_size=100_000,
    )

    @field_validator("key_columns", "partition_by", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("partition_by")
    @classmethod
    def _partition_names(cls, value: list[str]) -> list[str]:
        for name in value:
            if not name.strip() or name != name.strip():
                raise ValueError(f"partition_by names a column {name!r}; write the column's name")
        doubled = sorted({name for name in value if value.count(name) > 1})
        if doubled:
            raise ValueError(f"partition_by names {', '.join(doubled)} twice")
        return value

    @model_validator(mode="after")
    def _where(self) -> DeltaStoreConfig:
        lowered = self.path.lower()
        if "://" in lowered and not lowered.startswith(URL_SCHEMES):
            scheme = self.path.split("://", 1)[0]
            raise invalid_setting(
                f"path '{self.path}' has the scheme '{scheme}://'; a delta store writes to a "
                "local folder, az://, abfss:// or https:// (ADLS Gen2, OneLake)",
                at="path",
                hint="e.g. path: lake/delta, or path: az://lake/tables with connection: <name>",
            )
        if lowered.startswith("az://") and self.connection is None:
            raise invalid_setting(
                f"path '{self.path}' names a container but no account: an az:// path needs "
                "`connection:`, an azure_blob connection of hygge.yml (account and credential)",
                at="path",
                hint="add connection: <name>, or write the full abfss:// or https:// address",
            )
        if "://" in lowered and ("?" in self.path or "#" in self.path):
            shown = self.path.split("?", 1)[0].split("#", 1)[0]  # (never the rest: a SAS, say)
            raise invalid_setting(
                f"path '{shown}…' carries a query or fragment (after '?' or '#'), which an "
                "address of a table never holds; a SAS token is no part of the path",
                at="path",
                hint="write the address without it; for a SAS, set credential: sas and "
                "sas: ${VARIABLE} on the store (or use a connection)",
            )
        self._check_credential(lowered)
        slashes = 4 if lowered.startswith("https://") else 3  # https names its container after
        if (
            lowered.startswith(("https://", "abfss://", "abfs://"))
            and self.path.count("/") < slashes
        ):
            raise invalid_setting(
                f"path '{self.path}' names no folder inside a container; write "
                "abfss://<container>@<account>.dfs.core.windows.net/<folder> or "
                "https://<account>.dfs.core.windows.net/<container>/<folder>",
                at="path",
            )
        return self

    def _check_credential(self, lowered: str) -> None:
        """Inline credential fields only with a full abfss:// or https:// address."""
        inline = self.credential != "default" or any(
            getattr(self, field) is not None for field in CREDENTIAL_FIELDS
        )
        if not inline:
            return
        if self.connection is not None:
            raise invalid_setting(
                f"`connection: {self.connection}` names the account and its credential; "
                "remove credential and its fields",
                at="credential",
            )
        if not lowered.startswith(("https://", "abfss://", "abfs://")):
            raise invalid_setting(
                f"credential fields are for a table in Azure at a full address; path "
                f"'{self.path}' names none",
                at="credential",
                hint="write path: abfss://<container>@<account>.dfs.core.windows.net/<folder>, "
                "or name an azure_blob connection with `connection:`",
            )
        self.check_inline_credential()

    def is_remote(self) -> bool:
        """Whether the table is in object storage (an address, or a path on a connection)."""
        return "://" in self.path or self.connection is not None

    def open(self, place: Place) -> Any:
        """The Delta store of one entity (deltalake imported now: `pip install hygge-el[delta]`)."""
        from hygge.stores.delta.location import locate
        from hygge.stores.delta.store import DeltaStore

        return DeltaStore(self, place, locate(self, place))
