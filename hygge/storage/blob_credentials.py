"""An azure_blob connection opened as a BlobStorage: its credential built from `${VAR}` secrets.

Secret values go into the SDK's credential objects only; the `identity` a BlobStorage shows in
errors names the kind of credential and non-secret ids, never a value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from hygge.errors import ConfigError, MissingDependencyError
from hygge.storage.blob import BlobStorage
from hygge.storage.blob_client import account_name, blob_endpoint

if TYPE_CHECKING:
    from pydantic import SecretStr

    from hygge.connections import AzureBlobConnection


def open_connection(
    connection: AzureBlobConnection,
    name: str,
    secrets: Mapping[str, SecretStr],
    *,
    source: str | None = None,
) -> BlobStorage:
    """The connection's container as a BlobStorage; `secrets` are its resolved `${VAR}`s.

    Secret values go into the SDK's credential objects only; `identity` (shown in errors)
    names the kind of credential and non-secret ids, never a value. `source` says where the
    account is configured (default: "connection '<name>'"). An ADLS Gen2 or OneLake `dfs`
    address is opened at its blob endpoint (`blob_endpoint`)."""
    source = source or f"connection '{name}'"
    if not connection.container:
        raise ConfigError(
            f"connection '{name}' names no container; a file home or store on it needs one",
            hint=f"set connections.{name}.container in hygge.yml (or `filesystem` in an "
            "adls, onelake or blob store)",
        )

    def secret(field: str) -> str:
        return secrets[field].get_secret_value()

    url = blob_endpoint(connection.account_url) if connection.account_url else ""
    account = account_name(url) if url else ""
    kind = connection.credential
    credential: Any = None
    connection_string: str | None = None
    source_sas: str | None = None
    if kind == "connection_string":
        connection_string = secret("connection_string")
        identity = f"the connection string in {connection.connection_string} of {source}"
    elif kind in ("key", "storage_key"):
        from azure.core.credentials import AzureNamedKeyCredential

        field = "key" if kind == "key" else "storage_account_key"
        credential = AzureNamedKeyCredential(account, secret(field))
        identity = f"the account key in {getattr(connection, field)} of '{account}' ({source})"
    elif kind == "sas":
        from azure.core.credentials import AzureSasCredential

        source_sas = secret("sas").lstrip("?")
        credential = AzureSasCredential(source_sas)
        identity = f"the SAS token in {connection.sas} of {source}"
    else:
        credential, identity = _identity_credential(connection, source, secrets)
    return BlobStorage.connect(
        url or None,
        connection.container,
        credential=credential,
        connection_string=connection_string,
        identity=identity,
        source_sas=source_sas,
    )


def _identity_credential(
    connection: AzureBlobConnection, source: str, secrets: Mapping[str, SecretStr]
) -> tuple[Any, str]:
    """An Entra ID credential (azure-identity) and the words that name it."""
    try:
        import azure.identity as identity_module
    except ImportError as error:
        raise MissingDependencyError("azure-identity", "azure") from error
    if connection.credential == "service_principal":
        credential: Any = identity_module.ClientSecretCredential(
            str(connection.tenant_id),
            str(connection.client_id),
            secrets["client_secret"].get_secret_value(),
        )
        return credential, (
            f"the service principal {connection.client_id} of tenant {connection.tenant_id} "
            f"({source})"
        )
    if connection.credential == "managed_identity":
        client_id = connection.client_id
        credential = identity_module.ManagedIdentityCredential(client_id=client_id)
        which = f"the managed identity {client_id}" if client_id else "the managed identity"
        return credential, f"{which} ({source})"
    return identity_module.DefaultAzureCredential(), (
        f"DefaultAzureCredential (managed identity, environment or az login; {source})"
    )
