"""Precedence, highest first: --var > entity file > flow defaults > flow > hygge.yml > models."""

from __future__ import annotations

from hygge.config import load_workspace
from hygge.types import RunType


def _orders(write_workspace, *, project="", flow="", entity="", overrides=()):
    root = write_workspace(
        {
            "hygge.yml": "name: shop\n" + project,
            "flows/f/flow.yml": "home: in\nstore: out\n" + flow,
            "flows/f/entities/orders.yml": "name: orders\n" + entity,
        }
    )
    return load_workspace(root, overrides=overrides).entity("f.orders")


def test_model_defaults_apply_when_nothing_is_set(write_workspace):
    entity = _orders(write_workspace)

    assert (entity.queue_size, entity.run_type, entity.store.rows_per_batch()) == (
        4,
        RunType.FULL_DROP,
        100_000,
    )


def test_project_defaults_beat_model_defaults(write_workspace):
    entity = _orders(write_workspace, project="defaults:\n  queue_size: 8\n")

    assert entity.queue_size == 8


def test_flow_keys_beat_project_defaults(write_workspace):
    entity = _orders(
        write_workspace, project="defaults:\n  queue_size: 8\n", flow="queue_size: 3\n"
    )

    assert entity.queue_size == 3


def test_flow_defaults_beat_flow_keys(write_workspace):
    entity = _orders(
        write_workspace, flow="run_type: incremental\ndefaults:\n  run_type: full_drop\n"
    )

    assert entity.run_type is RunType.FULL_DROP


def test_entity_file_beats_flow_defaults(write_workspace):
    entity = _orders(write_workspace, flow="defaults:\n  queue_size: 5\n", entity="queue_size: 7\n")

    assert entity.queue_size == 7


def test_var_override_beats_the_entity_file(write_workspace):
    entity = _orders(
        write_workspace,
        entity="run_type: full_drop\n",
        overrides=["flow.f.run_type=incremental"],
    )

    assert entity.run_type is RunType.INCREMENTAL


def test_var_override_of_flow_defaults_beats_the_entity_file(write_workspace):
    entity = _orders(
        write_workspace,
        entity="store:\n  batch_size: 10\n",
        overrides=["flow.f.defaults.batch_size=500"],
    )

    assert entity.store.batch_size == 500


def test_blocks_merge_key_by_key_across_levels(write_workspace):
    entity = _orders(
        write_workspace,
        project="defaults:\n  store:\n    compression: zstd\n",
        flow="defaults:\n  store:\n    batch_size: 50\n",
        entity="store:\n    file_pattern: 'part-{sequence:05d}.parquet'\n",
    )

    assert entity.store.compression == "zstd"
    assert entity.store.batch_size == 50
    assert entity.store.file_pattern == "part-{sequence:05d}.parquet"
    assert entity.store.path == "out/orders"


def test_watermark_merges_across_levels_with_original_key_names(write_workspace):
    entity = _orders(
        write_workspace,
        flow="watermark:\n  watermark_column: updated_at\n",
        entity="watermark:\n  primary_key: [id, region]\n",
    )

    assert entity.watermark is not None
    assert (entity.watermark.column, entity.watermark.key_columns) == (
        "updated_at",
        ["id", "region"],
    )


def test_store_key_in_a_higher_level_beats_a_top_level_store_default(write_workspace):
    entity = _orders(
        write_workspace, flow="defaults:\n  batch_size: 500\n", entity="store:\n  batch_size: 10\n"
    )

    assert entity.store.batch_size == 10


def test_top_level_store_default_in_a_higher_level_beats_a_store_key(write_workspace):
    entity = _orders(
        write_workspace,
        flow="defaults:\n  store:\n    batch_size: 10\n",
        entity="batch_size: 500\n",
    )

    assert entity.store.batch_size == 500


def test_legacy_full_drop_at_a_higher_level_beats_run_type_below(write_workspace):
    entity = _orders(write_workspace, flow="run_type: full_drop\n", entity="full_drop: false\n")

    assert entity.run_type is RunType.INCREMENTAL


def test_empty_legacy_full_drop_means_not_set(write_workspace):
    entity = _orders(write_workspace, flow="run_type: incremental\n", entity="full_drop:\n")

    assert entity.run_type is RunType.INCREMENTAL
