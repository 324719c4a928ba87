"""`type: open_mirroring`: the store block of a Microsoft Fabric Open Mirroring landing zone.

The original hygge's fields load unchanged: `account_url`, `filesystem` (the Fabric
workspace), `mirror_name` (the mirrored database item), `key_columns` (a name or a list),
`row_marker`, `file_detection`, `starting_sequence`, `folder_deletion_wait_seconds`,
`partner_name`, `source_type`, `source_version`, `schema` / `schema_name`, `mirror_journal`,
`journal_table_name`, `path`, the blob `credential` modes, `compression`, `batch_size`,
`incremental` (and `polish`, which the workspace loader lifts to the entity).

The landing zone is either in Azure storage (`account_url` or `connection:`, `filesystem`,
`mirror_name`: `<mirror_name>/Files/LandingZone` in that container; OneLake's
`https://onelake.dfs.fabric.microsoft.com` or any ADLS / blob account) or a local folder
(`path:`, the folder standing for the landing zone: tests and dry runs).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import AliasChoices, Field, field_validator, model_validator

from hygge.connections import AzureBlobConnection
from hygge.polish.config import ROW_MARKERS
from hygge.stores.azure_credentials import InlineCredential
from hygge.stores.base import StoreCapabilities, StoreConfig
from hygge.types import Place, RunType, invalid_setting

MAX_DELETION_WAIT = 900
_ACCOUNT_FIELDS = ("account_url", "filesystem", "mirror_name")


class OpenMirroringStoreConfig(StoreConfig, InlineCredential):
    """A table folder per entity in a Fabric Open Mirroring landing zone."""

    type: Literal["open_mirroring"] = "open_mirroring"
    account_url: str | None = Field(
        None,
        min_length=1,
        description="The storage account, e.g. https://onelake.dfs.fabric.microsoft.com (the "
        "dfs address is used at its blob endpoint). Not with `connection:` or `path:`.",
    )
    filesystem: str | None = Field(
        None, min_length=1, description="The container: on OneLake the Fabric workspace."
    )
    mirror_name: str | None = Field(
        None,
        min_length=1,
        description="The mirrored database item (its name, e.g. sales.MountedRelationalDatabase, "
        "or its id): the landing zone is <mirror_name>/Files/LandingZone.",
    )
    path: str | None = Field(
        None,
        min_length=1,
        description="A local folder standing for the landing zone (instead of an account).",
    )
    key_columns: list[str] = Field(
        default_factory=list,
        description="The table's unique key (`keyColumns`; a name or a list): needed for update, "
        "delete, upsert and merge. Fabric never lets it change once written.",
    )
    row_marker: int | None = Field(
        None,
        description="`__rowMarker__` of an incremental run: 0 insert, 1 update, 2 delete, "
        "4 upsert (default: 4 with key_columns, else 0).",
    )
    file_detection: Literal["sequential", "timestamp"] = Field(
        "sequential",
        description="sequential: 20-digit file names in order; timestamp: Fabric picks files "
        "by last update time (LastUpdateTimeFileDetection).",
    )
    starting_sequence: int = Field(
        1, ge=1, description="The first sequence number of a new table folder."
    )
    folder_deletion_wait_seconds: float = Field(
        60,
        description=f"Seconds a full_drop waits after deleting the table folder before it "
        f"lands the new files, so Fabric sees the drop (0-{MAX_DELETION_WAIT}).",
    )
    partner_name: str | None = Field(None, description="`_partnerEvents.json` partnerName.")
    source_type: str | None = Field(None, description="`_partnerEvents.json` sourceType.")
    source_version: str | None = Field(None, description="`_partnerEvents.json` sourceVersion.")
    schema_name: str | None = Field(
        None,
        validation_alias=AliasChoices("schema", "schema_name"),
        min_length=1,
        description="Puts the table under `<schema>.schema/` in the landing zone.",
    )
    mirror_journal: bool = Field(
        False,
        description="Mirror hygge's run journal as a table of its own in the landing zone, "
        "once per `hygge go` (`journal_table_name`, default hygge_journal).",
    )
    journal_table_name: str | None = Field(
        None, min_length=1, description="The mirrored journal's table (with mirror_journal)."
    )
    compression: Literal["snappy", "gzip", "zstd", "uncompressed"] = Field(
        "snappy", description="Parquet codec (the ones Fabric reads)."
    )
    incremental: bool | None = Field(
        None,
        description="The original's override of run_type: true = incremental, false = "
        "full_drop (set on the entity when the workspace loads).",
    )

    capabilities: ClassVar[StoreCapabilities] = StoreCapabilities(
        run_types=frozenset({RunType.FULL_DROP, RunType.INCREMENTAL, RunType.MERGE}),
        merge_strategies=frozenset({"upsert"}),
        # A full_drop deletes the folder before landing the new files; an incremental run
        # lands file by file: Fabric may see part of either.
        atomic_visibility=frozenset(),
        preferred_batch_size=100_000,
    )
    on_object_storage: ClassVar[bool] = True

    @field_validator("key_columns", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("row_marker")
    @classmethod
    def _known_marker(cls, value: int | None) -> int | None:
        if value is not None and value not in ROW_MARKERS:
            known = ", ".join(f"{k} ({v})" for k, v in ROW_MARKERS.items())
            raise invalid_setting(
                f"row_marker {value} is not a row marker Fabric knows; use one of {known}",
                hint="e.g. row_marker: 4 (upsert, with key_columns)",
            )
        return value

    @field_validator("schema_name", "journal_table_name")
    @classmethod
    def _folder_name(cls, value: str | None) -> str | None:
        """A schema or table name is one folder of the landing zone: no path in it."""
        if value is None:
            return value
        bad = (
            "/" in value
            or "\\" in value
            or value.startswith(".")
            or value != value.strip()
            or any(not char.isprintable() for char in value)
        )
        if bad:
            raise invalid_setting(
                f"'{value}' is not a name for a folder of the landing zone (no '/' or '\\', "
                "no leading '.', no spaces around it)",
                hint="e.g. schema: dbo",
            )
        return value

    @field_validator("folder_deletion_wait_seconds")
    @classmethod
    def _wait_range(cls, value: float) -> float:
        if not 0 <= value <= MAX_DELETION_WAIT:
            raise invalid_setting(
                f"folder_deletion_wait_seconds {value:g} is outside 0-{MAX_DELETION_WAIT}",
                hint="e.g. folder_deletion_wait_seconds: 60",
            )
        return value

    @model_validator(mode="after")
    def _target(self) -> OpenMirroringStoreConfig:
        if self.journal_table_name is not None and self.journal_table_name.startswith("_"):
            raise invalid_setting(
                f"journal_table_name '{self.journal_table_name}' starts with '_', which "
                "Fabric takes for a file that is not data",
                at="journal_table_name",
                hint="e.g. journal_table_name: hygge_journal",
            )
        marker = self.marker_for_incremental()
        if marker != 0 and not self.key_columns:
            raise invalid_setting(
                f"row_marker {marker} ({ROW_MARKERS[marker]}) needs key_columns: Fabric "
                "updates and deletes rows by the table's keyColumns",
                at="row_marker",
                hint="add key_columns: [id] (the table's unique key), or use row_marker: 0",
            )
        if self.path is not None:
            given = [f for f in (*_ACCOUNT_FIELDS, "connection") if getattr(self, f)]
            if given:
                raise invalid_setting(
                    f"`path: {self.path}` is a local landing zone; `{given[0]}` names one in "
                    "Azure storage: give one of them",
                    at=given[0],
                    hint="remove path (Azure), or remove " + ", ".join(given) + " (local)",
                )
            return self
        for field in ("filesystem", "mirror_name"):
            if getattr(self, field) is None and not (field == "filesystem" and self.connection):
                raise invalid_setting(
                    f"an open_mirroring store needs `{field}` (or a local `path:`)",
                    hint="e.g. filesystem: <Fabric workspace>, mirror_name: "
                    "<mirrored database>, account_url: https://onelake.dfs.fabric.microsoft.com",
                )
        if self.connection is not None:
            if self.account_url is not None or self.credential != "default":
                raise invalid_setting(
                    f"`connection: {self.connection}` names the account and its credential; "
                    "remove account_url and credential",
                    at="account_url" if self.account_url else "credential",
                )
            return self
        self.check_inline_credential()
        if self.account_url is None and self.credential != "connection_string":
            raise invalid_setting(
                "an open_mirroring store needs `account_url` (or `connection:`, or `path:`)",
                hint="e.g. account_url: https://onelake.dfs.fabric.microsoft.com",
            )
        return self

    def table_key(self, root: Path, entity: str) -> str | None:
        """The table folder: two entities landing in one are refused when the workspace loads
        (each would take the other's folder for its own)."""
        folder = f"{self.schema_name}.schema/{entity}" if self.schema_name else entity
        if self.path is not None:
            if self.path.startswith("~"):
                return None
            return f"open_mirroring {os.path.realpath(root / self.path)}/{folder}"
        where = self.connection or f"{self.account_url} {self.filesystem}"
        return f"open_mirroring {where} {self.mirror_name}/{folder}"

    def journal_table_key(self, root: Path) -> tuple[str, str] | None:
        """With `mirror_journal`: the journal table's name and folder key (as `table_key`),
        which no entity may take (`hygge.config.shared_tables`)."""
        if not self.mirror_journal:
            return None
        table = self.journal_table_name or "hygge_journal"  # journal.DEFAULT_TABLE
        key = self.table_key(root, table)
        return None if key is None else (table, key)

    def local_table_folder(self, root: Path, entity: str) -> Path | None:
        """The table folder in a local landing zone (`path:`); None in Azure or under `~`."""
        if self.path is None or self.path.startswith("~"):
            return None
        folder = f"{self.schema_name}.schema/{entity}" if self.schema_name else entity
        return Path(os.path.realpath(root / self.path)) / folder

    def marker_for_incremental(self) -> int:
        """The `__rowMarker__` an incremental run writes."""
        if self.row_marker is not None:
            return self.row_marker
        return 4 if self.key_columns else 0

    def account(self) -> AzureBlobConnection:
        """The inline account as an azure_blob connection (secrets still `${VAR}`)."""
        return self.inline_account(self.account_url, self.filesystem)

    def open(self, place: Place) -> Any:
        """The store for one entity on its landing zone (secrets read now)."""
        from hygge.stores.open_mirroring.store import open_mirroring_store

        return open_mirroring_store(self, place)
