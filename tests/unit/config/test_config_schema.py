"""JSON Schema for editors: accepts real files, rejects unknown keys."""

from __future__ import annotations

import jsonschema
import pytest
import yaml

from hygge.config import workspace_json_schema

PROJECT = """
name: shop
flows_dir: flows
connections:
  azure_sql: {type: mssql, server: x, database: y}
options: {concurrency: 4, continue_on_error: false, log_level: INFO}
journal: {location: store}
state: {path: .hygge}
defaults:
  queue_size: 8
  store: {compression: zstd}
"""
FLOW = """
name: sales
home: data/source/
store:
  type: parquet
  path: lake
  compression: zstd
  polish:
    columns: {case: snake}
defaults:
  key_column: id
  batch_size: 10000
  if_exists: replace
entities:
  - orders
  - name: customers
    store: {batch_size: 5}
full_drop: false
watermark: {primary_key: id, watermark_column: updated_at}
options: {queue_size: 16}
"""
ENTITY = """
name: accounts
home:
  path: accounts
store:
  type: local
  format: csv
columns: [id, name]
if_exists: replace
watermark: {column: ts, key_columns: [id], lookback: 2h}
"""


def _validator(kind):
    schema = workspace_json_schema(kind)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        pytest.param("project", PROJECT, id="hygge.yml"),
        pytest.param("flow", FLOW, id="flow.yml"),
        pytest.param("entity", ENTITY, id="entity"),
    ],
)
def test_schema_accepts_a_sample_file(kind, text):
    errors = list(_validator(kind).iter_errors(yaml.safe_load(text)))

    assert errors == []


@pytest.mark.parametrize(
    ("kind", "document"),
    [
        pytest.param("project", {"flow_dir": "x"}, id="project-top"),
        pytest.param("project", {"options": {"concurency": 2}}, id="project-options"),
        pytest.param("flow", {"home": "a", "run_tpye": "full_drop"}, id="flow-top"),
        pytest.param("flow", {"store": {"type": "parquet", "compresion": "x"}}, id="flow-store"),
        pytest.param("entity", {"name": "a", "watermrk": {}}, id="entity-top"),
        pytest.param("project", {"defaults": {"bogus": 1}}, id="project-defaults"),
    ],
)
def test_schema_rejects_an_unknown_key(kind, document):
    assert not _validator(kind).is_valid(document)


def test_schema_accepts_the_string_shorthand_for_home_and_store():
    assert _validator("flow").is_valid({"home": "data/in", "store": "lake"})


def test_entity_schema_requires_a_name():
    assert not _validator("entity").is_valid({"home": "x"})


def test_schema_rejects_a_bad_run_type():
    assert not _validator("flow").is_valid({"run_type": "sometimes"})


def test_schema_declares_draft_2020_12():
    assert workspace_json_schema("flow")["$schema"] == (
        "https://json-schema.org/draft/2020-12/schema"
    )
