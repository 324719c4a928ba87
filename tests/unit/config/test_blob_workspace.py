"""A workspace read from a blob container prefix: its account from the environment, its state
beside it, its relative paths refused, its errors naming blobs. Over MemoryStorage; the CLI
against Azurite is tests/integration/test_cli_blob_workspace.py."""

from __future__ import annotations

import pytest

from hygge.config import load_workspace
from hygge.config.blob_workspace import (
    WORKSPACE_CONNECTION,
    BlobWorkspaceSource,
    workspace_connection,
)
from hygge.errors import ConfigError
from hygge.state.config import AzureBlobStateConfig
from hygge.storage import Location, MemoryStorage

LAKE = """\
  lake:
    type: azure_blob
    container: lake
    credential: connection_string
    connection_string: ${LAKE_CS}
"""
BLOB_FLOW = "home: {type: parquet, path: orders, connection: lake}\n" + (
    "store: {type: parquet, path: out, connection: lake}\n"
)


def _source(files: dict[str, str], uri: str = "az://config/shop") -> BlobWorkspaceSource:
    location = Location.parse(uri)
    storage = MemoryStorage(location.container)
    for rel, text in files.items():
        storage.put(f"{location.prefix}/{rel}" if location.prefix else rel, text.encode())
    connection = workspace_connection(location, _ENV)
    return BlobWorkspaceSource(storage, location, connection, label=location.uri)


_ENV = {"HYGGE_STORAGE_CONNECTION": "UseDevelopmentStorage=true"}


def _project(extra: str = "") -> str:
    return f"name: shop\nconnections:\n{LAKE}{extra}"


def test_the_state_of_a_blob_workspace_defaults_to_beside_it_on_its_own_account():
    source = _source({"hygge.yml": _project(), "flows/sales/flow.yml": BLOB_FLOW})

    workspace = load_workspace(source=source, env=_ENV)

    state = workspace.project.state
    assert isinstance(state, AzureBlobStateConfig)
    assert (state.connection, state.container, state.prefix) == (
        WORKSPACE_CONNECTION,
        "config",
        "shop/.hygge",
    )
    account = workspace.project.connections[WORKSPACE_CONNECTION]
    assert account.connection_string == "${HYGGE_STORAGE_CONNECTION}"  # a reference, no secret
    assert workspace.location == "az://config/shop" and not workspace.on_disk


def test_a_state_named_in_hygge_yml_wins_over_the_default():
    project = _project("state: {type: azure_blob, connection: lake, prefix: st/shop}\n")
    source = _source({"hygge.yml": project, "flows/sales/flow.yml": BLOB_FLOW})

    state = load_workspace(source=source, env=_ENV).project.state

    assert isinstance(state, AzureBlobStateConfig)
    assert (state.connection, state.prefix) == ("lake", "st/shop")
    assert WORKSPACE_CONNECTION not in load_workspace(source=source, env=_ENV).project.connections


def test_a_workspace_at_the_container_root_keeps_its_state_in_dot_hygge():
    source = _source({"hygge.yml": _project(), "flows/f/flow.yml": BLOB_FLOW}, "az://config")

    state = load_workspace(source=source, env=_ENV).project.state

    assert isinstance(state, AzureBlobStateConfig) and state.prefix == ".hygge"


@pytest.mark.parametrize(
    ("flow", "line"),
    [
        pytest.param(
            "home: landing\nstore: {type: parquet, path: o, connection: lake}\n", 1, id="home"
        ),
        pytest.param(
            "home: {type: parquet, path: o, connection: lake}\nstore: lake\n", 2, id="store"
        ),
    ],
)
def test_a_relative_local_path_in_a_blob_workspace_is_refused_naming_the_blob(flow, line):
    source = _source({"hygge.yml": _project(), "flows/sales/flow.yml": flow})

    with pytest.raises(ConfigError) as raised:
        load_workspace(source=source, env=_ENV)

    assert raised.value.file == "az://config/shop/flows/sales/flow.yml"
    assert raised.value.line == line
    assert "is relative" in str(raised.value) and "current folder" in str(raised.value)
    assert raised.value.hint is not None and "azure_blob connection" in raised.value.hint


def test_absolute_local_paths_are_allowed_in_a_blob_workspace():
    flow = "home: /srv/landing\nstore: /srv/lake\n"
    source = _source({"hygge.yml": _project(), "flows/sales/flow.yml": flow})

    workspace = load_workspace(source=source, env=_ENV)

    assert workspace.entity("sales.sales").store.path == "/srv/lake"


def test_a_local_connection_with_an_absolute_root_resolves_relative_paths_in_a_blob_workspace():
    local = "  disk:\n    type: local\n    root: /srv/data\n"
    flow = (
        "home: {type: parquet, path: in, connection: disk}\n"
        "store: {type: parquet, path: out, connection: disk}\n"
    )
    source = _source({"hygge.yml": _project(local), "flows/sales/flow.yml": flow})

    assert load_workspace(source=source, env=_ENV).entity("sales.sales").home.path == "in"


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        pytest.param("state: {path: .hygge}\n", "state path", id="state"),
        pytest.param(
            "state: {type: local, path: /srv/st}\njournal: {path: runs}\n",
            "journal.path",
            id="journal",
        ),
    ],
)
def test_a_relative_state_or_journal_folder_in_a_blob_workspace_is_refused(extra, key):
    source = _source({"hygge.yml": _project(extra), "flows/sales/flow.yml": BLOB_FLOW})

    with pytest.raises(ConfigError, match=key) as raised:
        load_workspace(source=source, env=_ENV)

    assert raised.value.file == "az://config/shop/hygge.yml"


def test_an_unknown_key_in_a_blob_workspace_names_the_blob_and_its_line():
    flow = BLOB_FLOW + "run_tpye: incremental\n"
    source = _source({"hygge.yml": _project(), "flows/sales/flow.yml": flow})

    with pytest.raises(ConfigError) as raised:
        load_workspace(source=source, env=_ENV)

    assert str(raised.value).startswith("az://config/shop/flows/sales/flow.yml line 3: ")
    assert "run_type" in str(raised.value)  # did you mean


def test_the_workspace_account_name_is_reserved_in_a_blob_workspace():
    taken = f"  {WORKSPACE_CONNECTION}:\n    type: local\n"
    source = _source({"hygge.yml": _project(taken), "flows/sales/flow.yml": BLOB_FLOW})

    with pytest.raises(ConfigError, match="hygge's own") as raised:
        load_workspace(source=source, env=_ENV)

    assert raised.value.file == "az://config/shop/hygge.yml" and raised.value.line == 8


def test_the_account_comes_from_an_account_url_with_default_credentials():
    location = Location.parse("az://config/shop")
    url = "https://acct.blob.core.windows.net"

    connection = workspace_connection(location, {"HYGGE_STORAGE_ACCOUNT_URL": url})

    assert (connection.account_url, connection.credential, connection.container) == (
        url,
        "default",
        "config",
    )


def test_a_connection_string_wins_over_an_account_url():
    env = {**_ENV, "HYGGE_STORAGE_ACCOUNT_URL": "https://acct.blob.core.windows.net"}

    connection = workspace_connection(Location.parse("az://config"), env)

    assert connection.credential == "connection_string"
