"""A ContainerClient from an `azure_blob` connection of hygge.yml, secrets read only here.

The connection names its credential (`default`: DefaultAzureCredential; `key`, `sas`,
`connection_string`: a `${VAR}`); the secret is read from the environment when the client is
made and lives only in the client. `identity` says who calls, for access-denied messages, and
never holds a secret. Every `azure.*` import happens inside a function.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from hygge.connections import AzureBlobConnection
from hygge.errors import ConfigError, MissingDependencyError
from hygge.storage.blob import container_client

if TYPE_CHECKING:
    from azure.storage.blob import ContainerClient


def account_name(account_url: str) -> str:
    """The storage account of `account_url`: the host's first label, or the path's first
    segment for an IP-style URL (Azurite: http://127.0.0.1:10000/devstoreaccount1)."""
    parsed = urlparse(account_url)
    host = parsed.hostname or ""
    if host.replace(".", "").isdigit() or host == "localhost":
        return parsed.path.strip("/").split("/")[0]
    return host.split(".")[0]


def connection_container(
    connection: AzureBlobConnection,
    name: str,
    container: str | None,
    env: Mapping[str, str],
) -> tuple[ContainerClient, str]:
    """The client of `container` (default: the connection's) and a label of the identity."""
    chosen = container or connection.container
    if not chosen:
        raise ConfigError(
            f"connection '{name}' names no container, and none was given where it is used",
            hint=f"set connections.{name}.container in hygge.yml",
        )
    secrets = connection.resolve_secrets(name, env)
    credential: Any = None
    kind = connection.credential
    if kind == "connection_string":
        text = secrets["connection_string"].get_secret_value()
        return container_client(None, chosen, connection_string=text), (
            f"the connection string of connection '{name}'"
        )
    if kind == "key":
        credential = {
            "account_name": account_name(connection.account_url),
            "account_key": secrets["key"].get_secret_value(),
        }
        identity = f"the account key of connection '{name}'"
    elif kind == "sas":
        credential = secrets["sas"].get_secret_value()
        identity = f"the SAS token of connection '{name}'"
    else:
        try:
            from azure.identity import DefaultAzureCredential
        except ImportError as error:
            raise MissingDependencyError("azure-identity", "azure") from error
        credential = DefaultAzureCredential()
        identity = "DefaultAzureCredential (managed identity, az login or environment)"
    return container_client(connection.account_url, chosen, credential=credential), identity
