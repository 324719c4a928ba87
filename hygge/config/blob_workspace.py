"""A workspace read from an Azure blob container prefix (`az://<container>/<prefix>`).

The account comes from the environment, as a Functions app's settings give it:
`HYGGE_STORAGE_CONNECTION` (a connection string: Azurite, development) or else
`HYGGE_STORAGE_ACCOUNT_URL` with DefaultAzureCredential (managed identity in Azure). The
connection string stays a `${HYGGE_STORAGE_CONNECTION}` reference, resolved only when a
client opens, as every secret of hygge.yml is.

Without a `state:` in hygge.yml, a blob workspace keeps its state beside its files, in
`az://<container>/<prefix>/.hygge/` (a local workspace's `.hygge` folder, on blob storage).
"""

from __future__ import annotations

from collections.abc import Mapping

from hygge.config.source import StorageWorkspaceSource
from hygge.connections import AzureBlobConnection
from hygge.errors import ConfigError
from hygge.state.config import AzureBlobStateConfig
from hygge.storage import Location, ObjectStorage, join_key

CONNECTION_VARIABLE = "HYGGE_STORAGE_CONNECTION"
ACCOUNT_URL_VARIABLE = "HYGGE_STORAGE_ACCOUNT_URL"
WORKSPACE_CONNECTION = "hygge_workspace"
"""The connection name of the workspace's own account (the default state uses it)."""
STATE_FOLDER = ".hygge"


def workspace_connection(location: Location, env: Mapping[str, str]) -> AzureBlobConnection:
    """The account of a blob workspace, from the environment; ConfigError saying what to set."""
    if env.get(CONNECTION_VARIABLE):
        return AzureBlobConnection(
            type="azure_blob",
            container=location.container,
            credential="connection_string",
            connection_string=f"${{{CONNECTION_VARIABLE}}}",
        )
    account_url = env.get(ACCOUNT_URL_VARIABLE)
    if account_url:
        return AzureBlobConnection(
            type="azure_blob",
            account_url=account_url,
            container=location.container,
            credential="default",
        )
    raise ConfigError(
        f"'{location.uri}' is a workspace in Azure blob storage, but neither "
        f"{CONNECTION_VARIABLE} nor {ACCOUNT_URL_VARIABLE} is set, so hygge does not know "
        "which storage account to read it from",
        hint=f"set {ACCOUNT_URL_VARIABLE}=https://<account>.blob.core.windows.net (signs in "
        f"with DefaultAzureCredential), or {CONNECTION_VARIABLE} to a connection string "
        "(e.g. Azurite's)",
    )


class BlobWorkspaceSource(StorageWorkspaceSource):
    """The workspace files under a container prefix, and the account they were read with.

    `storage` reads the container (its keys start at the container's root); `label` overrides
    where messages say the files are (`hygge publish` validates a local copy this way).
    """

    def __init__(
        self,
        storage: ObjectStorage,
        location: Location,
        connection: AzureBlobConnection,
        *,
        label: str | None = None,
    ) -> None:
        super().__init__(storage, location.prefix)
        self.location = location
        self.connection = connection
        if label is not None:
            self.label = label

    def describe(self, rel_path: str) -> str:
        return f"{self.label.rstrip('/')}/{rel_path}" if rel_path else self.label

    def default_state(self) -> tuple[AzureBlobStateConfig, AzureBlobConnection]:
        """The state beside the workspace: `<prefix>/.hygge` in its container, on its account."""
        config = AzureBlobStateConfig(
            type="azure_blob",
            connection=WORKSPACE_CONNECTION,
            container=self.location.container,
            prefix=join_key(self.location.prefix, STATE_FOLDER),
        )
        return config, self.connection


def open_blob_workspace(location: Location, env: Mapping[str, str]) -> BlobWorkspaceSource:
    """The workspace at an az:// location, on the account the environment names."""
    from hygge.storage.blob_credentials import open_connection  # the Azure SDK: blob workspaces

    connection = workspace_connection(location, env)
    secrets = connection.resolve_secrets(WORKSPACE_CONNECTION, env)
    storage = open_connection(connection, WORKSPACE_CONNECTION, secrets)
    return BlobWorkspaceSource(storage, location, connection)
