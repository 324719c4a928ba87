"""The adls, onelake and blob store blocks: what loads, and what is refused with file and line."""

from __future__ import annotations

import pytest

from hygge.config import load_workspace
from hygge.errors import ConfigError
from hygge.storage.blob_client import blob_endpoint
from hygge.stores import AdlsStoreConfig, BlobStoreConfig, OneLakeStoreConfig
from hygge.types import RunType
from tests.support.workspace import write_workspace

FLOW = """\
home: {type: parquet, path: landing}
store:
  type: %s
%s
entities: [orders]
"""
ADLS = """\
  account_url: https://acct.dfs.core.windows.net
  filesystem: lake
  path: raw"""


def _load(tmp_path, kind, body, project="name: test\n", env=None):
    write_workspace(tmp_path, {"shop": FLOW % (kind, body)}, project)
    return load_workspace(tmp_path, env=env or {})


def _store(tmp_path, kind, body, **kwargs):
    (entity,) = _load(tmp_path, kind, body, **kwargs).entities
    return entity


def test_an_adls_store_loads_with_the_original_fields(tmp_path):
    body = ADLS + (
        "\n  credential: service_principal\n  tenant_id: t1\n  client_id: c1\n"
        "  client_secret: ${SP_SECRET}\n  compression: zstd\n  batch_size: 500\n"
        "  file_pattern: '{entity}_{sequence:05d}'\n  polish: {columns: {case: snake}}"
    )
    entity = _store(tmp_path, "adls", body)
    store = entity.store
    assert isinstance(store, AdlsStoreConfig)
    assert store.path == "raw/orders" and store.filesystem == "lake"
    assert store.client_secret == "${SP_SECRET}"  # never expanded when the workspace loads
    assert store.compression == "zstd" and store.rows_per_batch() == 500
    assert entity.polish is not None


def test_path_takes_the_entity_placeholder(tmp_path):
    body = ADLS.replace("path: raw", "path: 'raw/{entity}/v1'")
    assert _store(tmp_path, "blob", body).store.path == "raw/orders/v1"
    assert isinstance(_store(tmp_path, "blob", body).store, BlobStoreConfig)


@pytest.mark.parametrize(
    ("extra", "path"),
    [
        pytest.param("  lakehouse: sales", "sales.Lakehouse/Files/orders", id="lakehouse"),
        pytest.param(
            "  lakehouse: sales\n  schema: dbo",
            "sales.Lakehouse/Files/dbo.schema/orders",
            id="schema",
        ),
        pytest.param(
            "  path: sales.Lakehouse/Files/raw", "sales.Lakehouse/Files/raw/orders", id="path"
        ),
    ],
)
def test_a_onelake_store_defaults_to_the_lakehouse_files_folder(tmp_path, extra, path):
    store = _store(tmp_path, "onelake", f"  filesystem: analytics\n{extra}").store
    assert isinstance(store, OneLakeStoreConfig)
    assert store.path == path
    assert store.account_url == "https://onelake.blob.fabric.microsoft.com"


def test_incremental_in_the_store_sets_the_run_type(tmp_path):
    entity = _store(tmp_path, "adls", ADLS + "\n  incremental: true")
    assert entity.run_type is RunType.INCREMENTAL
    entity = _store(tmp_path, "adls", ADLS + "\n  incremental: false")
    assert entity.run_type is RunType.FULL_DROP


def test_incremental_that_contradicts_the_run_type_beside_it_is_refused(tmp_path):
    flow = (FLOW % ("adls", ADLS + "\n  incremental: true")) + "run_type: full_drop\n"
    write_workspace(tmp_path, {"shop": flow})
    with pytest.raises(ConfigError, match="contradicts run_type: full_drop") as raised:
        load_workspace(tmp_path, env={})
    assert raised.value.file.endswith("flow.yml") and raised.value.line == 7


@pytest.mark.parametrize(
    ("body", "message", "line"),
    [
        pytest.param(
            ADLS + "\n  credential: storage_key",
            "credential 'storage_key' needs `storage_account_key: ${VAR}`",
            7,
            id="missing-key",
        ),
        pytest.param(
            ADLS + "\n  credential: storage_key\n  storage_account_key: hunter2",
            "never as its value",
            8,
            id="secret-as-value",
        ),
        pytest.param(
            "  account_url: https://acct.blob.core.windows.net\n  path: raw",
            "needs `filesystem`",
            2,
            id="no-container",
        ),
        pytest.param(
            ADLS + "\n  connection: lake",
            "`account_url` cannot be given as well",
            4,
            id="connection-and-account",
        ),
        pytest.param(
            "  filesystem: ws\n  path: Files/orders",
            "not inside an item's Files folder",
            5,
            id="onelake-top",
        ),
        pytest.param(
            "  filesystem: ws\n  lakehouse: sales\n  credential: storage_key\n"
            "  storage_account_key: ${K}",
            "OneLake takes no account keys",
            6,
            id="onelake-key",
        ),
        pytest.param("  filesystem: ws", "needs `lakehouse`", 2, id="onelake-no-lakehouse"),
    ],
)
def test_a_wrong_store_block_names_the_file_the_line_and_the_field(tmp_path, body, message, line):
    kind = "onelake" if "ws" in body else "adls"
    project = "name: test\nconnections:\n  lake: {type: local}\n"
    with pytest.raises(
        ConfigError, match=message.replace("$", r"\$").replace("{", r"\{")
    ) as raised:
        _load(tmp_path, kind, body, project=project)
    assert raised.value.file is not None and raised.value.file.endswith("flow.yml")
    assert raised.value.line == line


def test_an_unknown_key_suggests_the_nearest_field(tmp_path):
    with pytest.raises(ConfigError, match="did you mean 'filesystem'"):
        _load(tmp_path, "adls", ADLS + "\n  filesytem: x")


def test_a_secret_in_an_entity_file_stays_a_reference(tmp_path):
    flow = FLOW % ("adls", ADLS + "\n  credential: sas\n  sas: ${LAKE_SAS}")
    root = write_workspace(tmp_path, {"shop": flow.replace("entities: [orders]\n", "")})
    entities = root / "flows" / "shop" / "entities"
    entities.mkdir()
    (entities / "orders.yml").write_text("name: orders\nstore:\n  sas: ${ORDERS_SAS}\n")
    (entity,) = load_workspace(root, env={"ORDERS_SAS": "sv=secret"}).entities
    assert entity.store.sas == "${ORDERS_SAS}"


@pytest.mark.parametrize(
    ("given", "endpoint"),
    [
        ("https://acct.dfs.core.windows.net", "https://acct.blob.core.windows.net"),
        ("https://acct.dfs.core.windows.net/", "https://acct.blob.core.windows.net/"),
        ("https://onelake.dfs.fabric.microsoft.com", "https://onelake.blob.fabric.microsoft.com"),
        (
            "https://westus-onelake.dfs.fabric.microsoft.com",
            "https://westus-onelake.blob.fabric.microsoft.com",
        ),
        ("https://acct.blob.core.windows.net", "https://acct.blob.core.windows.net"),
        ("http://127.0.0.1:10000/devstoreaccount1", "http://127.0.0.1:10000/devstoreaccount1"),
    ],
)
def test_a_dfs_address_opens_at_its_blob_endpoint(given, endpoint):
    assert blob_endpoint(given) == endpoint


def test_a_connection_that_is_no_storage_account_is_refused_when_the_store_opens(tmp_path):
    from hygge.engine.plan import Selection, plan_run

    project = "name: test\nconnections:\n  data: {type: local}\n"
    write_workspace(tmp_path, {"shop": FLOW % ("adls", "  connection: data\n  path: raw")}, project)
    (task,) = plan_run(load_workspace(tmp_path, env={}), Selection()).tasks
    with pytest.raises(ConfigError, match="names connection 'data', a local connection"):
        task.store.open(task.place)


@pytest.mark.parametrize(
    ("path", "kept"),
    [
        pytest.param(("connections", "lake", "sas"), True, id="connection"),
        pytest.param(("store", "storage_account_key"), True, id="store"),
        pytest.param(("defaults", "store", "client_secret"), True, id="defaults"),
        pytest.param(("entities", 0, "store", "connection_string"), True, id="inline-entity"),
        pytest.param(("store", "path"), False, id="not-a-secret"),
        pytest.param(("home", "sas"), False, id="home"),
    ],
)
def test_secrets_of_stores_and_connections_stay_unexpanded_when_files_load(path, kept):
    from hygge.connections import is_secret_path

    assert is_secret_path(path) is kept
