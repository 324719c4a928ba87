"""The connection shapes homes and stores refer to (no driver is imported here)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from hygge.connections.base import ConnectionConfig, SecretReference
from hygge.types import unexpanded


class LocalConnection(ConnectionConfig):
    """The local filesystem: implicit for a home/store without `connection:`."""

    type: Literal["local"] = "local"
    root: str | None = Field(
        None,
        description="Folder the `path` of a home or store using this connection is relative "
        "to (itself relative to the workspace root; default: the workspace root).",
    )

    @field_validator("root")
    @classmethod
    def _expanded(cls, root: str | None) -> str | None:
        """As for a store's path: `~` and `$NAME` are never expanded, so they are refused when
        hygge.yml loads."""
        reason = None if root is None else unexpanded(root)
        if reason is not None:
            raise ValueError(f"root '{root}' {reason}. Write the folder's full path")
        return root


AZURE_CREDENTIAL_SECRETS: dict[str, tuple[str, ...]] = {
    "default": (),
    "managed_identity": (),
    "service_principal": ("tenant_id", "client_id", "client_secret"),
    "key": ("key",),
    "storage_key": ("storage_account_key",),
    "sas": ("sas",),
    "connection_string": ("connection_string",),
}
"""The fields each credential needs (`storage_key`, `managed_identity`, `service_principal`
are the original hygge's names)."""


class AzureBlobConnection(ConnectionConfig):
    """An Azure storage account (Blob, ADLS Gen2, OneLake through the blob API)."""

    type: Literal["azure_blob"] = "azure_blob"
    account_url: str | None = Field(
        None,
        min_length=1,
        description="e.g. https://acct.blob.core.windows.net (optional with a connection string)",
    )
    container: str | None = Field(None, description="Default container (or file system).")
    credential: Literal[
        "default",
        "managed_identity",
        "service_principal",
        "key",
        "storage_key",
        "sas",
        "connection_string",
    ] = Field(
        "default",
        description="default: DefaultAzureCredential (managed identity, environment, az login); "
        "managed_identity (client_id for a user-assigned one); service_principal (tenant_id, "
        "client_id, client_secret); key or storage_key (storage_account_key): the account key; "
        "sas; connection_string.",
    )
    key: SecretReference | None = None
    storage_account_key: SecretReference | None = None
    sas: SecretReference | None = None
    connection_string: SecretReference | None = None
    tenant_id: str | None = None
    client_id: str | None = None
    client_secret: SecretReference | None = None

    @model_validator(mode="after")
    def _secret_for_credential(self) -> AzureBlobConnection:
        for field in AZURE_CREDENTIAL_SECRETS[self.credential]:
            if getattr(self, field) is None:
                value = "${VAR}` (the environment variable that holds it)"
                if field in ("tenant_id", "client_id"):
                    value = "<id>`"
                raise ValueError(f"credential '{self.credential}' needs `{field}: {value}")
        if self.account_url is None and self.credential != "connection_string":
            raise ValueError(
                "an azure_blob connection needs `account_url` (or a connection_string)"
            )
        return self
