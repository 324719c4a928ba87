"""The container of an Azure landing zone: the store's inline account or its `connection:`.

Secrets are read from the environment when the store opens and live only in the SDK's
credential objects; errors name the entity, the field and the variable, never a value.
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
    from hygge.stores.open_mirroring.config import OpenMirroringStoreConfig


def open_landing_account(
    config: OpenMirroringStoreConfig, place: Place, *, env: Mapping[str, str] | None = None
) -> BlobStorage:
    """The container holding the mirrored database (`filesystem`, or the connection's)."""
    from hygge.storage.blob_credentials import open_connection

    env = os.environ if env is None else env
    entity = f"{place.flow}.{place.entity}"
    store = f"the open_mirroring store of {entity}"
    if config.connection is None:
        account = config.account()
        secrets: dict[str, SecretStr] = {}
        for field in sorted(STORE_SECRET_FIELDS):
            reference = getattr(account, field)
            if isinstance(reference, str):
                where = f"{store}, field `{field}`"
                secrets[field] = resolve_secret(reference, env, where=where)
        return open_connection(account, entity, secrets, source=store)
    name = config.connection
    found = named_connection(place, name)
    if not isinstance(found, AzureBlobConnection):
        kind = found.type if found is not None else "unknown"
        raise ConfigError(
            f"{store} names connection '{name}', a {kind} connection; it needs an "
            "azure_blob connection (an account and its credential)",
            hint=f"point connections.{name} at a storage account (type: azure_blob)",
        )
    if config.filesystem is not None:
        found = found.model_copy(update={"container": config.filesystem})
    return open_connection(found, name, found.resolve_secrets(name, env))
