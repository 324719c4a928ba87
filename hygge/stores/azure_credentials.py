"""The inline Azure account credential some stores take instead of a `connection:`.

The fields are those of an `azure_blob` connection (`hygge.connections.kinds`) that name the
credential: `credential` and the ids and secrets it needs (secrets as `${VAR}` references).
A store config mixes `InlineCredential` in, checks it with `check_inline_credential` when it
has no `connection:`, and turns it into a connection with `inline_account`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from hygge.connections import AzureBlobConnection, SecretReference
from hygge.types import Strict, invalid_setting

AzureCredential = Literal[
    "default", "managed_identity", "service_principal", "storage_key", "sas", "connection_string"
]
# The fields each credential needs; secrets among them must be `${VAR}` references.
CREDENTIAL_NEEDS: dict[str, tuple[str, ...]] = {
    "default": (),
    "managed_identity": (),
    "service_principal": ("tenant_id", "client_id", "client_secret"),
    "storage_key": ("storage_account_key",),
    "sas": ("sas",),
    "connection_string": ("connection_string",),
}
CREDENTIAL_FIELDS = (
    "tenant_id",
    "client_id",
    "client_secret",
    "storage_account_key",
    "sas",
    "connection_string",
)


class InlineCredential(Strict):
    """`credential` and what it needs, for a store naming its account itself."""

    credential: AzureCredential = Field(
        "default",
        description="default: DefaultAzureCredential (managed identity in Azure, az login "
        "here); managed_identity (client_id for a user-assigned one); service_principal "
        "(tenant_id, client_id, client_secret); storage_key (storage_account_key); sas; "
        "connection_string. Not with `connection:` (the connection has its own).",
    )
    tenant_id: str | None = None
    client_id: str | None = None
    client_secret: SecretReference | None = None
    storage_account_key: SecretReference | None = None
    sas: SecretReference | None = None
    connection_string: SecretReference | None = None

    def check_inline_credential(self) -> None:
        """A ConfigError naming the first field the credential needs and lacks."""
        for field in CREDENTIAL_NEEDS[self.credential]:
            if getattr(self, field) is None:
                value = "<id>" if field in ("tenant_id", "client_id") else "${VAR}"
                raise invalid_setting(
                    f"credential '{self.credential}' needs `{field}: {value}`",
                    at="credential",
                    hint="secrets are written as ${VAR}, the environment variable holding them",
                )

    def inline_account(self, account_url: str | None, container: str | None) -> AzureBlobConnection:
        """The account and this credential as an azure_blob connection (secrets still `${VAR}`)."""
        return AzureBlobConnection(
            account_url=account_url,
            container=container,
            credential=self.credential,
            **{field: getattr(self, field) for field in CREDENTIAL_FIELDS},
        )
