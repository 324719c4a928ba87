"""Rows of a new file at or below the watermark: dropped loudly, loaded, or failed, as chosen.

A file home's new files can bring rows older than the watermark (a late delivery). What
happens to them is `watermark.late_rows`: `drop` (the default) journals how many were read and
how many dropped, `load` loads them, `fail` stops the run naming the file.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import polars as pl
import pytest

from hygge.config import load_workspace, workspace_json_schema
from hygge.errors import ConfigError
from hygge.types import RunStatus
from tests.support.workspace import land, read_lake, run, state_of, write_workspace

FLOW = """\
home: {type: parquet, path: landing}
store: {type: parquet, path: lake}
run_type: incremental
watermark: {column: at%s}
entities: [events]
"""


def events(ids: list[int], stamps: list[int]) -> pl.DataFrame:
    return pl.DataFrame({"id": ids, "at": stamps})


def loaded_then_late(tmp_path: Path, late_rows: str = "") -> Path:
    """One run loads rows up to 20; then a file lands whose rows are all at or below 20."""
    root = write_workspace(tmp_path / "ws", {"feed": FLOW % late_rows})
    land(root, "events", "a", events([1, 2], [10, 20]))
    assert run(root).ok
    land(root, "events", "late", events([3, 4, 5], [5, 15, 20]))
    return root


def test_late_rows_are_dropped_by_default_and_the_journal_says_how_many(tmp_path):
    root = loaded_then_late(tmp_path)

    (result,) = run(root).results

    assert result.status is RunStatus.SKIP
    expected = "read 3 rows, kept 0: 3 at or below the watermark 20 were dropped"
    assert expected in (result.message or "")
    assert "late.parquet" in (result.message or "")
    assert "late_rows" in (result.message or "")
    journaled = state_of(load_workspace(root)).read_journal(limit=1)[0]
    assert expected in (journaled.message or "")
    assert read_lake(root, "events")["id"].sort().to_list() == [1, 2]


def test_a_window_with_new_and_late_rows_counts_both(tmp_path):
    root = loaded_then_late(tmp_path)
    land(root, "events", "new", events([6], [30]))

    (result,) = run(root).results

    assert result.status is RunStatus.SUCCESS and result.rows == 1
    assert "read 4 rows, kept 1: 3 at or below the watermark 20 were dropped" in (
        result.message or ""
    )


def test_late_rows_load_when_the_watermark_says_so(tmp_path):
    root = loaded_then_late(tmp_path, ", late_rows: load")

    (result,) = run(root).results

    assert result.status is RunStatus.SUCCESS and result.rows == 3
    assert read_lake(root, "events")["id"].sort().to_list() == [1, 2, 3, 4, 5]
    assert state_of(load_workspace(root)).get_watermark("feed", "events").value == 20  # type: ignore[union-attr]


def test_late_rows_fail_the_run_naming_the_file_when_the_watermark_says_so(tmp_path):
    root = loaded_then_late(tmp_path, ", late_rows: fail")

    (result,) = run(root).results

    assert result.status is RunStatus.FAIL
    message = result.message or ""
    assert "late.parquet" in message and "3 rows at or below the watermark 20" in message
    assert "late_rows: load" in message
    assert read_lake(root, "events")["id"].sort().to_list() == [1, 2]


def test_an_unknown_late_rows_choice_is_refused_when_the_workspace_loads(tmp_path):
    root = write_workspace(tmp_path / "ws", {"feed": FLOW % ", late_rows: keep"})

    with pytest.raises(ConfigError, match="late_rows") as raised:
        load_workspace(root)

    assert "flows/feed/flow.yml" in str(raised.value)


@pytest.mark.parametrize("choice", ["drop", "load", "fail"])
def test_the_json_schema_knows_late_rows(choice):
    schema = workspace_json_schema("flow")
    flow = {"home": "landing", "store": "lake", "watermark": {"column": "at", "late_rows": choice}}
    jsonschema.validate(flow, schema)
    assert "late_rows" in json.dumps(schema)
