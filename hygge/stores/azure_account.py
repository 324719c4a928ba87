"""The BlobStorage of an adls, onelake or blob store: its inline account or its `connection:`.

Secrets are read from the environment here, when the store opens, and live only in the SDK's
credential objects of the storage returned: never in the task, a checkpoint, the journal or
a log line. Errors name the entity, the field and the variable, never a value.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from pydantic import SecretStr

from hygge.connections import AzureBlobConnection, resolve_secret
from hygge.connections.base import STORE_SECRET_FIELDS
from hygge.errors import ConfigError
from hygge.storage.connect import named_connection
from hygge.types import Place

if TYPE_CHECKING:
    from hygge.storage.blob import BlobStorage
    from hygge.stores.azure_files import AzureStoreConfig


def open_account(
    config: AzureStoreConfig, place: Place, *, env: Mapping[str, str] | None = None
) -> BlobStorage:
    """The container the store writes to (`filesystem`, or its connection's container)."""
    from hygge.storage.blob_credentials import open_connection

    env = os.environ if env is None else env
    store = f"the {config.type} store of {place.flow}.{place.entity}"
    if config.connection is None:
        account = config.account()
        secrets = _resolve(account, env, where=store)
        return open_connection(account, f"{place.flow}.{place.entity}", secrets, source=store)
    name = config.connection
    found = named_connection(place, name)
    if not isinstance(found, AzureBlobConnection):
        kind = found.type if found is not None else "unknown"
        raise ConfigError(
            f"{store} names connection '{name}', a {kind} connection; it needs an "
            "azure_blob connection (an account and its credential)",
            hint=f"point connections.{name} at a storage account (type: azure_blob), or give "
            "the store account_url and credential itself",
        )
    if config.filesystem is not None:
        found = found.model_copy(update={"container": config.filesystem})
    secrets = found.resolve_secrets(name, env)
    return open_connection(found, name, secrets)


def _resolve(
    account: AzureBlobConnection, env: Mapping[str, str], *, where: str
) -> dict[str, SecretStr]:
    """Each secret field of the inline account, read from `env`; ConfigError naming the
    field and the variable when one is unset."""
    found: dict[str, SecretStr] = {}
    for field in sorted(STORE_SECRET_FIELDS):
        reference = getattr(account, field)
        if isinstance(reference, str):
            found[field] = resolve_secret(reference, env, where=f"{where}, field `{field}`")
    return found
