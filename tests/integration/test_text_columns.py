"""Text files never lose a value on the way in: unknown NDJSON keys and lossy CSV numbers fail.

A key the window's schema lacks, or a zero-padded or non-numeric value in a column read as an
integer, stops the run with the file, the line or column and a hint; nothing is dropped or
rounded silently, in a full_drop window of many files and across incremental runs alike.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from hygge.types import RunStatus
from tests.support.workspace import read_lake, run, write_workspace

FLOW = """\
home: {type: local, path: landing, format: %s%s}
store: {type: parquet, path: lake}
run_type: %s
entities: [events]
"""


def workspace(root: Path, fmt: str, run_type: str, options: str = "") -> Path:
    return write_workspace(root, {"feed": FLOW % (fmt, options, run_type)})


def land_text(root: Path, name: str, text: str) -> Path:
    path = root / "landing" / "events" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_an_ndjson_key_first_seen_in_a_later_file_fails_naming_key_file_and_line(tmp_path):
    root = workspace(tmp_path / "ws", "ndjson", "full_drop")
    land_text(root, "a.ndjson", '{"id": 1}\n{"id": 2}\n')
    land_text(root, "b.ndjson", '{"id": 3}\n{"id": 4, "note": "late key"}\n')

    report = run(root)

    (result,) = report.results
    assert result.status is RunStatus.FAIL
    assert "key 'note'" in (result.message or "")
    assert "b.ndjson line 2" in (result.message or "")
    assert "schema_overrides" in (result.message or "")
    assert read_lake(root, "events").is_empty()


def test_an_ndjson_key_beyond_the_inferred_rows_of_one_file_fails(tmp_path):
    options = ", format_options: {infer_schema_length: 2}"
    root = workspace(tmp_path / "ws", "ndjson", "full_drop", options)
    land_text(root, "a.ndjson", '{"id": 1}\n{"id": 2}\n{"id": 3, "extra": true}\n')

    (result,) = run(root).results

    assert result.status is RunStatus.FAIL
    assert "key 'extra'" in (result.message or "") and "a.ndjson line 3" in (result.message or "")


def test_an_ndjson_key_named_in_schema_overrides_is_kept_for_every_file(tmp_path):
    options = ", format_options: {schema_overrides: {note: String}}"
    root = workspace(tmp_path / "ws", "ndjson", "full_drop", options)
    land_text(root, "a.ndjson", '{"id": 1}\n')
    land_text(root, "b.ndjson", '{"id": 2, "note": "kept"}\n')

    assert run(root).ok

    lake = read_lake(root, "events").sort("id")
    assert lake["note"].to_list() == [None, "kept"]


def test_an_ndjson_key_new_in_an_incremental_run_fails_instead_of_vanishing(tmp_path):
    root = workspace(tmp_path / "ws", "ndjson", "incremental")
    land_text(root, "a.ndjson", '{"id": 1}\n')
    assert run(root).ok
    land_text(root, "b.ndjson", '{"id": 2}\n')
    land_text(root, "c.ndjson", '{"id": 3, "note": "x"}\n')

    (result,) = run(root).results

    assert result.status is RunStatus.FAIL
    assert "key 'note'" in (result.message or "") and "c.ndjson line 1" in (result.message or "")
    assert read_lake(root, "events")["id"].to_list() == [1]


def test_a_zero_padded_value_in_a_later_csv_file_of_a_full_drop_fails_naming_column_and_value(
    tmp_path,
):
    root = workspace(tmp_path / "ws", "csv", "full_drop")
    land_text(root, "a.csv", "id,zip\n1,10001\n")
    land_text(root, "b.csv", "id,zip\n2,02134\n")

    (result,) = run(root).results

    assert result.status is RunStatus.FAIL
    message = result.message or ""
    assert "b.csv" in message and "column 'zip'" in message and "'02134'" in message
    assert "schema_overrides: {zip: String}" in message


def test_non_numeric_text_in_a_later_csv_file_of_a_full_drop_fails_naming_column_and_value(
    tmp_path,
):
    root = workspace(tmp_path / "ws", "csv", "full_drop")
    land_text(root, "a.csv", "id,zip\n1,10001\n")
    land_text(root, "b.csv", "id,zip\n2,A0001\n")

    (result,) = run(root).results

    assert result.status is RunStatus.FAIL
    message = result.message or ""
    assert "b.csv" in message and "column 'zip'" in message and "'A0001'" in message


def test_an_incremental_csv_file_never_loses_leading_zeros_to_the_published_integer_type(
    tmp_path,
):
    root = workspace(tmp_path / "ws", "csv", "incremental")
    land_text(root, "a.csv", "id,zip\n1,10001\n")
    assert run(root).ok
    land_text(root, "b.csv", "id,zip\n2,02134\n")

    (result,) = run(root).results

    assert result.status is RunStatus.FAIL
    message = result.message or ""
    assert "b.csv" in message and "column 'zip'" in message and "'02134'" in message
    assert read_lake(root, "events")["zip"].to_list() == [10001]


def test_an_incremental_csv_file_whose_column_reads_as_text_fails_with_a_sample_value(tmp_path):
    root = workspace(tmp_path / "ws", "csv", "incremental")
    land_text(root, "a.csv", "id,zip\n1,10001\n")
    assert run(root).ok
    land_text(root, "b.csv", "id,zip\n2,A0001\n")

    (result,) = run(root).results

    assert result.status is RunStatus.FAIL
    message = result.message or ""
    assert "b.csv" in message and "zip" in message and "'A0001'" in message
    assert "schema_overrides" in message


def test_a_csv_column_pinned_as_text_keeps_its_leading_zeros(tmp_path):
    options = ", format_options: {schema_overrides: {zip: String}}"
    root = workspace(tmp_path / "ws", "csv", "full_drop", options)
    land_text(root, "a.csv", "id,zip\n1,10001\n")
    land_text(root, "b.csv", "id,zip\n2,02134\n")

    assert run(root).ok

    assert read_lake(root, "events").sort("id")["zip"].to_list() == ["10001", "02134"]


def test_plain_csv_integers_still_read_as_integers(tmp_path):
    root = workspace(tmp_path / "ws", "csv", "full_drop")
    land_text(root, "a.csv", "id,n\n1,-5\n2,\n3,0\n")

    assert run(root).ok

    lake = read_lake(root, "events").sort("id")
    assert lake.schema["n"] == pl.Int64 and lake["n"].to_list() == [-5, None, 0]
