"""Parquet stores in Azure storage: `adls` (ADLS Gen2), `onelake` (Microsoft Fabric) and `blob`.

The original hygge's store types, with its fields (`account_url`, `filesystem`, `path`,
`credential` and its ids and secrets, `incremental`, ...). Each is the file store
(`hygge.stores.file_store`) on a BlobStorage: the same staging, publish, ownership and naming
as a `parquet` store with `connection:` an azure_blob connection; only how the account is
named differs. The account is either named inline or by `connection:` (then `filesystem`, if
given, picks another container of that account). Secrets are `${VAR}` references, read from
the environment only when the store opens.

OneLake's container is the Fabric workspace, and files live inside an item: without a `path`,
an entity goes to `<lakehouse>.Lakehouse/Files/[<schema>.schema/]<entity>`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from hygge.connections import AzureBlobConnection
from hygge.stores.azure_credentials import CREDENTIAL_FIELDS, InlineCredential
from hygge.stores.files import ParquetStoreConfig
from hygge.types import Place, invalid_setting

ONELAKE_URL = "https://onelake.blob.fabric.microsoft.com"
_ACCOUNT_FIELDS = ("account_url", *CREDENTIAL_FIELDS)
# An item folder: `<name>.<ItemType>` (`sales.Lakehouse`) or the item's GUID.
_ITEM = re.compile(r"^([^/]+\.[A-Za-z]+|[0-9a-fA-F-]{36})$")


class AzureStoreConfig(ParquetStoreConfig, InlineCredential):
    """The fields the three Azure store types share (not a YAML type of its own)."""

    type: Literal["adls"] = "adls"  # type: ignore[assignment]
    account_url: str | None = Field(
        None,
        min_length=1,
        description="The account's address, e.g. https://acct.dfs.core.windows.net (ADLS "
        "Gen2 `dfs` addresses are used at their blob endpoint). Not with `connection:`.",
    )
    filesystem: str | None = Field(
        None,
        min_length=1,
        description="The container (ADLS: file system; OneLake: the Fabric workspace). With "
        "`connection:`, default: the connection's container.",
    )
    path: str = Field(
        min_length=1,
        description="Prefix inside the container; the entity is a sub-folder (or `{entity}`).",
    )
    incremental: bool | None = Field(
        None,
        description="The original's override of run_type: true = incremental, false = "
        "full_drop (the entity's run_type is set from it when the workspace loads).",
    )

    on_object_storage: ClassVar[bool] = True

    @model_validator(mode="after")
    def _account(self) -> AzureStoreConfig:
        if self.connection is not None:
            given = [f for f in _ACCOUNT_FIELDS if getattr(self, f) is not None]
            if self.credential != "default":
                given.insert(0, "credential")
            if given:
                raise invalid_setting(
                    f"`connection: {self.connection}` names the account and its credential; "
                    f"`{given[0]}` cannot be given as well",
                    at=given[0],
                    hint=f"remove {', '.join(given)}, or remove `connection:`",
                )
            return self
        self.check_inline_credential()
        if self.filesystem is None:
            raise invalid_setting(
                f"a {self.type} store needs `filesystem` (the container) or `connection:`",
                hint="e.g. filesystem: lake",
            )
        if self.account_url is None and self.credential != "connection_string":
            raise invalid_setting(
                f"a {self.type} store needs `account_url` (or `connection:`)",
                hint="e.g. account_url: https://myaccount.dfs.core.windows.net",
            )
        return self

    def account(self) -> AzureBlobConnection:
        """The inline account fields as an azure_blob connection (secrets still `${VAR}`)."""
        return self.inline_account(self.account_url, self.filesystem)

    def open(self, place: Place, *, env: Mapping[str, str] | None = None) -> Any:
        """The file store on the container, secrets read from `env` (default: os.environ)."""
        from hygge.stores.azure_account import open_account
        from hygge.stores.file_store import open_file_store

        return open_file_store(self, place, open_account(self, place, env=env))


class AdlsStoreConfig(AzureStoreConfig):
    """Parquet files in an ADLS Gen2 account (through its blob endpoint)."""

    type: Literal["adls"] = "adls"


class BlobStoreConfig(AzureStoreConfig):
    """Parquet files in a blob storage container."""

    type: Literal["blob"] = "blob"  # type: ignore[assignment]


class OneLakeStoreConfig(AzureStoreConfig):
    """Parquet files in a Microsoft Fabric item's `Files` (OneLake, through its blob API).

    `filesystem` is the workspace; without `path` an entity goes to
    `<lakehouse>.Lakehouse/Files/[<schema>.schema/]<entity>`.
    """

    type: Literal["onelake"] = "onelake"  # type: ignore[assignment]
    account_url: str | None = Field(
        None,
        min_length=1,
        description=f"OneLake's address (default {ONELAKE_URL}; the `dfs` one works too).",
    )
    lakehouse: str | None = Field(
        None,
        min_length=1,
        description="The Lakehouse item in the workspace; the default path is "
        "<lakehouse>.Lakehouse/Files/[<schema>.schema/]{entity}.",
    )
    schema_name: str | None = Field(
        None,
        alias="schema",
        min_length=1,
        description="Adds a `<schema>.schema/` folder to the default path (the original's layout).",
    )

    @model_validator(mode="before")
    @classmethod
    def _default_account(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        if data.get("path") is None and not data.get("lakehouse"):
            raise invalid_setting(
                "a onelake store needs `lakehouse` (its files go to "
                "<lakehouse>.Lakehouse/Files/[<schema>.schema/]<entity>) or a `path` inside "
                "an item's Files folder",
                hint="e.g. lakehouse: sales",
            )
        no_account = data.get("connection") is None and data.get("account_url") is None
        if no_account and data.get("credential") != "connection_string":
            data = {**data, "account_url": ONELAKE_URL}
        return data

    @model_validator(mode="after")
    def _in_files(self) -> OneLakeStoreConfig:
        parts = self.path.strip("/").split("/")
        if len(parts) < 3 or not _ITEM.match(parts[0]) or parts[1] != "Files":
            raise invalid_setting(
                f"path '{self.path}' is not inside an item's Files folder: OneLake keeps "
                "files in <item>.<ItemType>/Files/... (e.g. sales.Lakehouse/Files/orders), "
                "and refuses them at the workspace's top or in an item's own folders",
                at="path",
                hint="set `lakehouse:` and drop `path`, or start the path with "
                "<lakehouse>.Lakehouse/Files/",
            )
        if self.credential in ("storage_key", "sas") and _fabric(self.account_url):
            raise invalid_setting(
                f"OneLake takes no account keys or SAS tokens (credential '{self.credential}')",
                at="credential",
                hint="use credential: default, managed_identity or service_principal",
            )
        return self

    @classmethod
    def default_path(cls, settings: Mapping[str, Any]) -> str | None:
        """`<lakehouse>.Lakehouse/Files/[<schema>.schema/]{entity}` when `lakehouse` is set."""
        lakehouse, schema = settings.get("lakehouse"), settings.get("schema")
        if not isinstance(lakehouse, str) or not lakehouse:
            return None  # none (validation says what is missing), or not text
        folder = f"{schema}.schema/" if isinstance(schema, str) and schema else ""
        return f"{lakehouse}.Lakehouse/Files/{folder}{{entity}}"


def _fabric(account_url: str | None) -> bool:
    from hygge.storage.blob_client import is_onelake

    return account_url is not None and is_onelake(account_url)
