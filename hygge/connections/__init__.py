"""Typed connections: named in hygge.yml `connections:`, referenced by `connection: <name>`.

Secrets (passwords, account keys, SAS tokens, connection strings) are written as `${VAR}` and
kept unexpanded in every model that crosses a process boundary (tasks, checkpoints); a home or
store resolves them from the environment when it opens (`resolve_secret`).
"""

from __future__ import annotations

from typing import Annotated, TypeAlias

from pydantic import Field

from hygge.connections.base import (
    SECRET_FIELDS,
    ConnectionConfig,
    SecretReference,
    is_secret_path,
    resolve_secret,
)
from hygge.connections.kinds import AzureBlobConnection, LocalConnection
from hygge.connections.sql import (
    DuckdbConnection,
    MssqlConnection,
    PostgresConnection,
    SqliteConnection,
)

ConnectionConfigUnion: TypeAlias = Annotated[
    LocalConnection
    | AzureBlobConnection
    | PostgresConnection
    | MssqlConnection
    | SqliteConnection
    | DuckdbConnection,
    Field(discriminator="type"),
]

__all__ = [
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
