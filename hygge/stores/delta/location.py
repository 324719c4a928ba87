"""Where a delta store's table lives: the URI and `storage_options` delta-rs opens, and the
ObjectStorage (same place) where hygge keeps its staging and its owner marker.

A local path resolves through symbolic links first, so two spellings of one folder are one
table. An Azure table is reached with the credential of its `connection:` (an azure_blob
connection of hygge.yml; secrets read from the environment only now) or, for a full
abfss:// or https:// address without one, the store's own `credential` fields (default:
DefaultAzureCredential). delta-rs takes account
keys, SAS tokens and service principals as they are; an Entra ID identity (default,
managed_identity) becomes a bearer token for the storage audience, fetched when the store opens.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from hygge.connections import AzureBlobConnection
from hygge.errors import ConfigError, MissingDependencyError
from hygge.io.unsafe_folders import unsafe_reason, user_homes
from hygge.storage import ObjectStorage, check_key
from hygge.storage.blob_client import account_name, blob_endpoint, is_onelake
from hygge.storage.connect import named_connection
from hygge.storage.local import LocalStorage
from hygge.types import Place

if TYPE_CHECKING:
    from pydantic import SecretStr

    from hygge.stores.delta.config import DeltaStoreConfig

STORAGE_SCOPE = "https://storage.azure.com/.default"


@dataclass(frozen=True)
class DeltaLocation:
    """One entity's table: what delta-rs opens, and hygge's view of the same folder."""

    uri: str  # a local path or az://container/prefix
    storage_options: dict[str, str] | None
    storage: ObjectStorage  # the folder holding the table (local) or its container
    prefix: str  # the table folder's key in `storage`
    label: str  # for messages and the store's identity
    local: Path | None = None  # the table folder's real path on a local disk


def locate(
    config: DeltaStoreConfig, place: Place, env: Mapping[str, str] | None = None
) -> DeltaLocation:
    """The table of `config` for `place`; ConfigError naming the field when it cannot be."""
    path = config.path.replace("{entity}", place.entity)  # the loader did, if it loaded
    if not config.is_remote():
        return _local(place, path, config.connection)
    env = os.environ if env is None else env
    connection, secrets = _connection(config, place, env)
    if "://" in path:
        account_url, container, prefix = _split_url(path)
    else:  # a folder in the connection's container
        account_url, container, prefix = None, "", path.strip("/")
    if account_url is None and connection is not None:  # the connection names the account
        account_url = connection.account_url
        container = container or (connection.container or "")
    if not container:
        raise ConfigError(
            f"delta store of {place.flow}.{place.entity}: connection '{config.connection}' "
            "names no container, and the path names none",
            hint=f"set connections.{config.connection}.container, or write path: "
            "az://<container>/<folder>",
        )
    _check_prefix(place, path, prefix)
    if connection is None:  # the store's own credential fields (default: DefaultAzureCredential)
        connection = config.inline_account(account_url, container)
        secrets = connection.resolve_secrets(f"store of {place.flow}.{place.entity}", env)
    connection = connection.model_copy(update={"container": container, "account_url": account_url})
    from hygge.storage.blob_credentials import open_connection

    storage = open_connection(connection, f"{place.flow}.{place.entity}", secrets)
    options = storage_options(connection, secrets)
    return DeltaLocation(
        uri=f"az://{container}/{prefix}",
        storage_options=options,
        storage=storage,
        prefix=prefix,
        label=f"{blob_endpoint(account_url or '') or 'az:/'}/{container}/{prefix}",
    )


def _check_prefix(place: Place, path: str, prefix: str) -> None:
    """ConfigError unless `prefix` is a plain folder below a container's top."""
    where = f"delta store of {place.flow}.{place.entity}"
    try:
        check_key(prefix)
    except ValueError:
        raise ConfigError(
            f"{where}: path '{path}' is no plain folder of its container: '.', '..' and '//' "
            "name nothing in blob storage",
            hint="write the folder from the container's root down, e.g. Tables/{entity}",
        ) from None
    if not prefix:
        raise ConfigError(
            f"{where}: path '{path}' is a container's top; a table needs a folder of its own",
            hint="e.g. path: az://lake/tables/{entity}",
        )


def _local(place: Place, path: str, connection: str | None) -> DeltaLocation:
    where = f"delta store of {place.flow}.{place.entity}"
    if connection is not None:
        raise ConfigError(
            f"{where}: `connection: {connection}` with the local path '{path}'; a connection "
            "is for an az:// path",
            hint="drop `connection:`, or write path: az://<container>/<folder>",
        )
    target = Path(os.path.realpath(place.resolve(path)))
    if "%" in str(target):  # delta-rs decodes "%20" in a path as a space: another folder
        raise ConfigError(
            f"{where}: the table folder {target} has a '%' in its path, which delta-rs (hygge's "
            "Delta writer) reads as an escape (%20 as a space), writing elsewhere",
            hint="point `path` at a folder whose path has no '%'",
        )
    if target.exists() and not target.is_dir():
        raise ConfigError(
            f"{where}: the table folder {target} is a file, not a folder",
            hint="point `path` at a folder (missing, empty or a Delta table hygge wrote)",
        )
    workspace = PurePath(os.path.realpath(place.root))
    for folder in (target, target.parent):
        reason = unsafe_reason(PurePath(folder), workspace, user_homes())
        if reason is not None:
            raise ConfigError(
                f"{where} writes the table {target}, and {folder} is {reason}; hygge never "
                "stores there",
                hint="point `path` at a folder of its own, e.g. path: lake/delta",
            )
    return DeltaLocation(
        uri=str(target),
        storage_options=None,
        storage=LocalStorage(target.parent),
        prefix=target.name,
        label=place.real_label(target),
        local=target,
    )


def _split_url(path: str) -> tuple[str | None, str, str]:
    """(account_url or None for az://, container, prefix) of a table address."""
    parts = urlsplit(path)
    folders = unquote(parts.path).strip("/")
    if parts.scheme == "az":
        return None, parts.netloc, folders
    if parts.scheme in ("abfss", "abfs"):
        container, _, host = parts.netloc.partition("@")
        return f"https://{host}", container, folders
    container, _, prefix = folders.partition("/")
    return f"https://{parts.netloc}", container, prefix


def _connection(
    config: DeltaStoreConfig, place: Place, env: Mapping[str, str]
) -> tuple[AzureBlobConnection | None, dict[str, SecretStr]]:
    if config.connection is None:
        return None, {}
    found = named_connection(place, config.connection)
    if not isinstance(found, AzureBlobConnection):
        kind = found.type if found is not None else "unknown"
        raise ConfigError(
            f"delta store of {place.flow}.{place.entity} names connection "
            f"'{config.connection}', a {kind} connection; it needs an azure_blob connection",
            hint=f"point connections.{config.connection} at a storage account (type: azure_blob)",
        )
    return found, found.resolve_secrets(config.connection, env)


def storage_options(
    connection: AzureBlobConnection, secrets: Mapping[str, SecretStr]
) -> dict[str, str]:
    """delta-rs's Azure options for the connection's account and credential."""

    def secret(field: str) -> str:
        return secrets[field].get_secret_value()

    kind = connection.credential
    if kind == "connection_string":
        fields = _connection_string(secret("connection_string"))
        url = fields.get("blobendpoint") or (
            f"https://{fields.get('accountname', '')}.blob.core.windows.net"
        )
        options = _account(url)
        if "accountkey" in fields:
            options["account_key"] = fields["accountkey"]
        if "sharedaccesssignature" in fields:
            options["sas_token"] = fields["sharedaccesssignature"]
        return options
    options = _account(connection.account_url or "")
    if kind in ("key", "storage_key"):
        options["account_key"] = secret("key" if kind == "key" else "storage_account_key")
    elif kind == "sas":
        options["sas_token"] = secret("sas").lstrip("?")
    elif kind == "service_principal":
        options.update(
            client_id=str(connection.client_id),
            client_secret=secret("client_secret"),
            tenant_id=str(connection.tenant_id),
        )
    else:
        options["bearer_token"] = _token(connection)
    return options


def _account(account_url: str) -> dict[str, str]:
    """The account options: its name, and the endpoint when it is no public Azure host."""
    url = blob_endpoint(account_url)
    if is_onelake(url):
        return {"account_name": "onelake", "use_fabric_endpoint": "true"}
    options = {"account_name": account_name(url)}
    host = urlsplit(url).hostname or ""
    if not host.endswith(".core.windows.net"):  # an emulator or a sovereign cloud
        options["endpoint"] = url.rstrip("/")
        if url.startswith("http://"):
            options["allow_http"] = "true"
    return options


def _connection_string(text: str) -> dict[str, str]:
    pairs = (part.split("=", 1) for part in text.split(";") if "=" in part)
    return {key.strip().lower(): value.strip() for key, value in pairs}


def _token(connection: AzureBlobConnection) -> str:
    try:
        from azure import identity
    except ImportError as error:
        raise MissingDependencyError("azure-identity", "azure") from error
    credential: Any = (
        identity.ManagedIdentityCredential(client_id=connection.client_id)
        if connection.credential == "managed_identity"
        else identity.DefaultAzureCredential()
    )
    return str(credential.get_token(STORAGE_SCOPE).token)
