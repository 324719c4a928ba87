"""hygge.yml `state:`: which StateBackend a workspace keeps its state in, and the factory.

`state` is a tagged union on `type`; a block without `type` is `local` (what hygge.yml meant
before the key had types). `azure_blob` keeps the state in a container of an `azure_blob`
connection (its secrets only through that connection's `${VAR}`s). A new backend is one more
config model with an `open` method, added to `StateConfigUnion`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal, TypeAlias

from pydantic import Discriminator, Field, Tag, field_validator

from hygge.connections import AzureBlobConnection, ConnectionConfig
from hygge.errors import ConfigError
from hygge.state.base import StateBackend
from hygge.state.clock import Clock
from hygge.types import Strict

DEFAULT_STATE_TYPE = "local"


class LocalStateConfig(Strict):
    """`state: {type: local, path: .hygge}`: a folder under the workspace root."""

    type: Literal["local"] = "local"
    path: str = Field(".hygge", description="State folder, relative to the workspace root.")

    @property
    def local_path(self) -> str | None:
        """The state folder as hygge.yml writes it (None: the state is not on this disk)."""
        return self.path

    def open(
        self,
        root: Path,
        *,
        clock: Clock,
        host: str,
        journal_dir: Path | None = None,
        workspace: str = "",
        connections: Mapping[str, ConnectionConfig] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> StateBackend:
        """The backend over `<root>/<path>`; `journal_dir` is hygge.yml's `journal.path`."""
        from hygge.state.local import LocalStateBackend  # polars only when state is opened

        folder = Path(self.path)
        state_dir = folder if folder.is_absolute() else root / folder
        return LocalStateBackend(state_dir, journal_dir, clock=clock, host=host)


class AzureBlobStateConfig(Strict):
    """`state: {type: azure_blob, connection: lake, prefix: hygge-state/shop}`."""

    type: Literal["azure_blob"]
    connection: str = Field(
        min_length=1, description="An `azure_blob` connection of hygge.yml: account, credential."
    )
    container: str | None = Field(
        None, description="Container of the state (default: the connection's container)."
    )
    prefix: str | None = Field(
        None, description="Folder in the container (default: hygge-state/<workspace name>)."
    )
    lease_seconds: int = Field(
        60, ge=15, le=60, description="How long an entity lock's blob lease lasts unrenewed."
    )

    @field_validator("prefix")
    @classmethod
    def _plain_prefix(cls, prefix: str | None) -> str | None:
        parts = (prefix or "").strip("/").split("/")
        if prefix is not None and prefix.strip("/") and any(p in ("", ".", "..") for p in parts):
            raise ValueError(
                f"prefix '{prefix}' is no plain folder: '.', '..' and '//' name nothing in blob "
                "storage; write the folder from the container's root down, e.g. hygge-state/shop"
            )
        return prefix

    @property
    def local_path(self) -> str | None:
        return None

    def state_prefix(self, workspace: str) -> str:
        return (self.prefix if self.prefix is not None else f"hygge-state/{workspace}").strip("/")

    def open(
        self,
        root: Path,
        *,
        clock: Clock,
        host: str,
        journal_dir: Path | None = None,
        workspace: str = "",
        connections: Mapping[str, ConnectionConfig] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> StateBackend:
        """The backend in the connection's container; secrets are read from `env` now."""
        from hygge.state.blob import BlobStateBackend  # the Azure SDK only when state opens
        from hygge.storage.blob_credentials import open_connection

        connection = (connections or {}).get(self.connection)
        if not isinstance(connection, AzureBlobConnection):
            raise ConfigError(
                f"state.connection '{self.connection}' is not an azure_blob connection of "
                "hygge.yml",
                hint="name a `type: azure_blob` connection under `connections:`",
            )
        container = self.container or connection.container
        if not container:
            raise ConfigError(
                f"the azure_blob state names no container, and connection '{self.connection}' "
                "has none",
                hint="set state.container (or the connection's container) in hygge.yml",
            )
        secrets = connection.resolve_secrets(self.connection, os.environ if env is None else env)
        storage = open_connection(
            connection.model_copy(update={"container": container}), self.connection, secrets
        )
        return BlobStateBackend(
            storage.client,
            self.state_prefix(workspace or root.name),
            clock=clock,
            host=host,
            lease_seconds=self.lease_seconds,
            identity=storage.identity,
        )


def _state_type(value: object) -> str:
    """The block's tag; what is no mapping goes to `local`, which says it must be one."""
    if isinstance(value, dict):
        return str(value.get("type", DEFAULT_STATE_TYPE))
    return str(getattr(value, "type", DEFAULT_STATE_TYPE))


StateConfigUnion: TypeAlias = Annotated[
    Annotated[LocalStateConfig, Tag("local")] | Annotated[AzureBlobStateConfig, Tag("azure_blob")],
    Discriminator(_state_type),
]


def open_state(
    config: StateConfigUnion,
    root: Path,
    *,
    clock: Clock,
    host: str,
    journal_dir: Path | None = None,
    workspace: str = "",
    connections: Mapping[str, ConnectionConfig] | None = None,
    env: Mapping[str, str] | None = None,
) -> StateBackend:
    """The StateBackend hygge.yml's `state:` names, for the workspace at `root`.

    `clock` and `host` are the driver's: lock heartbeats and takeovers read them. `workspace`
    (its name), `connections` (hygge.yml's) and `env` (secrets) serve the azure_blob state.
    """
    return config.open(
        root,
        clock=clock,
        host=host,
        journal_dir=journal_dir,
        workspace=workspace,
        connections=connections,
        env=env,
    )
