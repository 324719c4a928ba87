"""hygge.yml `state:`: a tagged union on `type` whose default is the local folder."""

from __future__ import annotations

import pytest

from hygge.config import LocalStateConfig, load_workspace
from hygge.errors import ConfigError
from hygge.state.clock import utc_now
from hygge.state.config import AzureBlobStateConfig, open_state
from hygge.state.local import LocalStateBackend

FLOW = "home: in\nstore: out\n"


def _load(write_workspace, hygge_yml: str):
    root = write_workspace({"hygge.yml": hygge_yml, "flows/a/flow.yml": FLOW})
    return root, load_workspace(root, env={})


def _error(write_workspace, hygge_yml: str) -> ConfigError:
    with pytest.raises(ConfigError) as raised:
        _load(write_workspace, hygge_yml)
    return raised.value


@pytest.mark.parametrize(
    "hygge_yml",
    [
        pytest.param("name: shop\n", id="absent"),
        pytest.param("name: shop\nstate:\n  path: .hygge\n", id="path-without-type"),
        pytest.param("name: shop\nstate:\n  type: local\n", id="type-without-path"),
    ],
)
def test_state_without_a_type_is_the_local_folder_of_today(write_workspace, hygge_yml):
    root, workspace = _load(write_workspace, hygge_yml)

    assert workspace.project.state == LocalStateConfig(type="local", path=".hygge")
    assert workspace.state_dir == root.resolve() / ".hygge"


def test_local_state_type_keeps_its_path(write_workspace):
    root, workspace = _load(write_workspace, "state:\n  type: local\n  path: var/state\n")

    assert workspace.state_dir == root.resolve() / "var" / "state"


def test_open_state_builds_the_backend_hygge_yml_names_over_its_folders(write_workspace):
    root, workspace = _load(write_workspace, "state:\n  type: local\n  path: var/state\n")

    state = open_state(
        workspace.project.state,
        workspace.root,
        clock=utc_now,
        host="build-agent-7",
        journal_dir=workspace.journal_dir,
    )

    assert isinstance(state, LocalStateBackend)
    assert state.layout.state_dir == root.resolve() / "var" / "state"
    assert state.layout.journal_dir == root.resolve() / "var" / "state" / "journal"
    assert state.acquire_lock("a", "in", "run-1").host == "build-agent-7"


def test_unknown_state_type_names_hygge_yml_its_line_and_the_valid_types(write_workspace):
    error = _error(write_workspace, "name: shop\nstate:\n  type: lokal\n  path: x\n")

    assert (error.file, error.line) == ("hygge.yml", 3)
    assert str(error).splitlines()[0] == (
        "hygge.yml line 3: unknown state type 'lokal' (did you mean 'local'?)"
    )
    assert "supported state types: local" in str(error)


def test_a_state_type_of_a_later_version_is_named_not_supported_yet(write_workspace):
    # azure_blob arrived (issue 9); onelake stands for a type of a later version.
    error = _error(write_workspace, "state:\n  type: onelake\n  container: hygge\n")

    assert error.line == 2
    assert "state type 'onelake' is not supported by this version of hygge yet" in str(error)
    assert "supported state types: local, azure_blob" in str(error)


LAKE = (
    "connections:\n  lake:\n    type: azure_blob\n    account_url: http://127.0.0.1:1/acct\n"
    "    container: state\n    credential: connection_string\n"
    "    connection_string: ${LAKE_CS}\n"
)


def test_azure_blob_state_names_a_connection_and_defaults_its_prefix(write_workspace):
    _, workspace = _load(
        write_workspace, f"name: shop\n{LAKE}state:\n  type: azure_blob\n  connection: lake\n"
    )

    state = workspace.project.state
    assert isinstance(state, AzureBlobStateConfig)
    assert (state.connection, state.container, state.lease_seconds) == ("lake", None, 60)
    assert state.state_prefix(workspace.name) == "hygge-state/shop"


@pytest.mark.parametrize(
    ("state", "message"),
    [
        pytest.param(
            "  connection: laek\n",
            "state.connection 'laek' is not a connection of hygge.yml (did you mean 'lake'?)",
            id="unknown",
        ),
        pytest.param("  connection: files\n", "state.connection 'files' is a local one", id="kind"),
    ],
)
def test_azure_blob_state_refuses_a_connection_that_is_no_blob_account(
    write_workspace, state, message
):
    files = "  files:\n    type: local\n"
    error = _error(write_workspace, f"{LAKE}{files}state:\n  type: azure_blob\n{state}")

    assert error.file == "hygge.yml" and error.line == 12
    assert message in str(error)


def test_azure_blob_state_keeps_the_journal_next_to_it(write_workspace):
    yml = f"{LAKE}state:\n  type: azure_blob\n  connection: lake\njournal:\n  path: runs\n"
    error = _error(write_workspace, yml)

    assert "journal.path is a local folder, but the state is in blob storage" in str(error)
    assert error.line == 12


@pytest.mark.parametrize(
    "hygge_yml",
    [
        pytest.param("name: shop\nstate:\n  type: local\n  pth: x\n", id="with-type"),
        pytest.param("name: shop\nstate:\n  pth: x\n  type: local\n", id="type-after"),
        pytest.param("name: shop\nstate:\n  pth: x\n", id="without-type"),
    ],
)
def test_unknown_state_key_names_hygge_yml_its_line_and_the_valid_keys(write_workspace, hygge_yml):
    error = _error(write_workspace, hygge_yml)

    line = next(n for n, text in enumerate(hygge_yml.splitlines()) if "pth" in text)
    assert (error.file, error.line) == ("hygge.yml", line + 1)
    assert "unknown key 'pth' in state (did you mean 'path'?)" in str(error)
    assert "valid keys: path, type" in str(error)


@pytest.mark.parametrize(
    ("hygge_yml", "line", "message"),
    [
        pytest.param(
            "state: somewhere\n",
            1,
            "'state' must be a mapping of keys, got 'somewhere'",
            id="not-a-mapping",
        ),
        pytest.param("state:\n  type: 3\n", 2, "unknown state type '3'", id="type-not-text"),
        pytest.param(
            "state:\n  path: 5\n",
            2,
            "invalid value 5 for 'state.path': input should be a valid string",
            id="bad-path",
        ),
    ],
)
def test_a_bad_state_block_names_hygge_yml_its_line_and_the_field(
    write_workspace, hygge_yml, line, message
):
    error = _error(write_workspace, hygge_yml)

    assert (error.file, error.line) == ("hygge.yml", line)
    assert message in str(error)
