"""Typed connections: named in hygge.yml `connections:`, referenced by `connection: <name>`.

Secrets (passwords, account keys, SAS tokens, connection strings) are written as `${VAR}` and
kept unexpanded in every model that crosses a process boundary (tasks, checkpoints); a home or
store resolves them from the environment when it opens (`resolve_secret`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, TypeAlias

from pydantic import PlainSerializer, PlainValidator

from hygge.connections.base import (
    SECRET_FIELDS,
    ConnectionConfig,
    SecretReference,
    is_secret_path,
    resolve_secret,
)
from hygge.connections.kinds import AzureBlobConnection, LocalConnection
from hygge.tagged import TaggedConfigs

if TYPE_CHECKING:
    from hygge.connections.sql import (
        DuckdbConnection,
        MssqlConnection,
        PostgresConnection,
        SqliteConnection,
    )

# In the order error messages list them. A connection is validated by the class its `type`
# names (`hygge.tagged`): a workspace without SQL connections imports no SQL connection model.
CONNECTION_TYPES: TaggedConfigs[ConnectionConfig] = TaggedConfigs(
    ConnectionConfig,
    {
        "local": "hygge.connections.kinds:LocalConnection",
        "azure_blob": "hygge.connections.kinds:AzureBlobConnection",
        "postgres": "hygge.connections.sql:PostgresConnection",
        "mssql": "hygge.connections.sql:MssqlConnection",
        "sqlite": "hygge.connections.sql:SqliteConnection",
        "duckdb": "hygge.connections.sql:DuckdbConnection",
    },
)

if TYPE_CHECKING:  # what a validated connection is: one of these classes
    ConnectionConfigUnion: TypeAlias = (
        LocalConnection
        | AzureBlobConnection
        | PostgresConnection
        | MssqlConnection
        | SqliteConnection
        | DuckdbConnection
    )
else:
    ConnectionConfigUnion: TypeAlias = Annotated[
        ConnectionConfig,
        PlainValidator(CONNECTION_TYPES.validate),
        PlainSerializer(CONNECTION_TYPES.dump),
    ]


def __getattr__(name: str) -> Any:
    """The SQL connection classes, imported when first named (`from hygge.connections …`)."""
    return CONNECTION_TYPES.class_named(__name__, name)


__all__ = [
    "CONNECTION_TYPES",
    "SECRET_FIELDS",
    "AzureBlobConnection",
    "ConnectionConfig",
    "ConnectionConfigUnion",
    "DuckdbConnection",
    "LocalConnection",
    "MssqlConnection",
    "PostgresConnection",
    "SecretReference",
    "SqliteConnection",
    "is_secret_path",
    "resolve_secret",
]
