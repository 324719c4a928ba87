"""A lookback found at run time not to fit its column names the file and line that set it."""

from __future__ import annotations

import polars as pl

from hygge.types import RunStatus
from tests.support.workspace import land, run, write_workspace

FLOW = """\
home: landing
store: lake
run_type: incremental
watermark:
  column: code
  key_columns: [id]
  lookback: 2h
"""


def test_a_lookback_on_a_string_column_fails_naming_the_file_and_line_of_the_lookback(tmp_path):
    root = write_workspace(tmp_path, {"sales": FLOW + "entities: [orders]\n"})
    land(root, "orders", "a", pl.DataFrame({"id": [1, 2], "code": ["A-1", "A-2"]}))

    [result] = run(root).results

    assert result.status is RunStatus.FAIL
    assert result.error_type == "ConfigError"
    assert result.message is not None
    assert result.message.startswith("flows/sales/flow.yml line 7: sales.orders file a.parquet:")
    assert "watermark column 'code' reads as text (String)" in result.message
    assert "so watermark.lookback '2h' cannot apply" in result.message
    assert not (root / "lake" / "orders").exists()


def test_a_lookback_set_in_an_entity_file_is_blamed_on_that_file(tmp_path):
    root = write_workspace(tmp_path, {"sales": FLOW.replace("  lookback: 2h\n", "")})
    entities = root / "flows" / "sales" / "entities"
    entities.mkdir()
    (entities / "orders.yml").write_text(
        "name: orders\nwatermark:\n  column: code\n  key_columns: [id]\n  lookback: 30m\n"
    )
    land(root, "orders", "a", pl.DataFrame({"id": [1], "code": ["A-1"]}))

    [result] = run(root).results

    assert result.message is not None
    assert result.message.startswith("flows/sales/entities/orders.yml line 5: sales.orders")
