"""The open_mirroring store block: the original's fields load unchanged; bad values are
refused naming the field and what to do."""

from __future__ import annotations

import pytest

from hygge.config import load_workspace
from hygge.errors import ConfigError
from hygge.stores import OpenMirroringStoreConfig
from hygge.types import RunType
from tests.support.workspace import write_workspace

FLOW = """\
home: {type: parquet, path: landing}
store:
  type: open_mirroring
%s
entities: [orders]
"""
ORIGINAL = """\
  account_url: https://onelake.dfs.fabric.microsoft.com
  filesystem: sales-workspace
  mirror_name: shop.MountedRelationalDatabase
  key_columns: id
  row_marker: 4
  file_detection: timestamp
  starting_sequence: 10
  folder_deletion_wait_seconds: 30
  partner_name: acme
  source_type: SQLServer
  source_version: "2019"
  schema: dbo
  journal_table_name: hygge_journal
  mirror_journal: false
  credential: service_principal
  tenant_id: t1
  client_id: c1
  client_secret: ${SP_SECRET}
  compression: zstd
  batch_size: 500
  incremental: true
  polish: {columns: {case: snake}}"""


def _load(tmp_path, body):
    write_workspace(tmp_path, {"shop": FLOW % body})
    return load_workspace(tmp_path, env={})


def _error(tmp_path, body) -> ConfigError:
    with pytest.raises(ConfigError) as raised:
        _load(tmp_path, body)
    return raised.value


def test_the_originals_store_block_loads_unchanged(tmp_path):
    (entity,) = _load(tmp_path, ORIGINAL).entities
    store = entity.store
    assert isinstance(store, OpenMirroringStoreConfig)
    assert store.key_columns == ["id"]  # a single name is a list of one
    assert (store.row_marker, store.file_detection, store.starting_sequence) == (4, "timestamp", 10)
    assert store.folder_deletion_wait_seconds == 30 and store.schema_name == "dbo"
    assert (store.partner_name, store.source_type, store.source_version) == (
        "acme",
        "SQLServer",
        "2019",
    )
    assert store.client_secret == "${SP_SECRET}"  # never expanded at load
    assert store.compression == "zstd" and store.rows_per_batch() == 500
    assert entity.run_type is RunType.INCREMENTAL  # the original's `incremental: true`
    assert entity.polish is not None


def test_schema_name_is_the_same_setting_as_schema(tmp_path):
    body = ORIGINAL.replace("  schema: dbo", "  schema_name: sales")
    assert _load(tmp_path, body).entities[0].store.schema_name == "sales"


def test_a_local_landing_zone_needs_only_a_path(tmp_path):
    (entity,) = _load(tmp_path, "  path: onelake/LandingZone\n  key_columns: [id, line]").entities
    assert entity.store.path == "onelake/LandingZone"
    assert entity.store.key_columns == ["id", "line"]
    assert entity.store.marker_for_incremental() == 4  # upsert with keys, insert without


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (("row_marker: 4", "row_marker: 3"), ["row_marker 3", "0 (insert)", "4 (upsert)"]),
        (
            ("folder_deletion_wait_seconds: 30", "folder_deletion_wait_seconds: 901"),
            ["folder_deletion_wait_seconds 901", "0-900"],
        ),
        (("file_detection: timestamp", "file_detection: newest"), ["file_detection"]),
        (("starting_sequence: 10", "starting_sequence: 0"), ["starting_sequence"]),
        (
            ("journal_table_name: hygge_journal", "journal_table_name: _journal"),
            ["journal_table_name '_journal' starts with '_'"],
        ),
        (("  mirror_name: shop.MountedRelationalDatabase\n", ""), ["needs `mirror_name`"]),
        (("  client_secret: ${SP_SECRET}\n", ""), ["needs `client_secret: ${VAR}`"]),
        (("  key_columns: id\n", ""), ["row_marker 4 (upsert) needs key_columns"]),
    ],
)
def test_a_bad_value_is_refused_naming_the_field(tmp_path, change, words):
    old, new = change
    assert old in ORIGINAL
    error = _error(tmp_path, ORIGINAL.replace(old, new))
    text = str(error)
    assert error.file is not None and error.file.endswith("flow.yml")
    for word in words:
        assert word in text, text


def test_a_local_path_and_an_account_are_refused_together(tmp_path):
    error = _error(tmp_path, "  path: lz\n  account_url: https://a.dfs.core.windows.net")
    assert "`path: lz` is a local landing zone" in str(error)
    assert "account_url" in str(error)


def test_a_merge_needs_key_columns(tmp_path):
    write_workspace(
        tmp_path, {"shop": (FLOW % "  path: lz") + "run_type: merge\nmerge_strategy: upsert\n"}
    )
    workspace = load_workspace(tmp_path, env={})
    from hygge.types import Place

    store = workspace.entities[0].store.open(Place(tmp_path, "shop", "orders", workspace="test"))
    with pytest.raises(ConfigError, match="a merge run needs key_columns"):
        store.prepare("run-1", RunType.MERGE)


def test_two_entities_landing_in_one_table_folder_are_refused(tmp_path):
    flow = "home: {type: parquet, path: landing}\nstore: {type: open_mirroring, path: lz}\n"
    write_workspace(
        tmp_path,
        {"a": flow + "entities: [orders]\n", "b": flow + "entities: [orders]\n"},
    )
    with pytest.raises(ConfigError, match="write the same table"):
        load_workspace(tmp_path, env={})
