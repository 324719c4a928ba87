"""What a user reads when a run cannot move data: the file that holds the problem, and a fix.

Each test lands real bad files, runs the entity through the engine and reads the journaled
failure message: it names the file (and line, column) and gives advice that fits the run.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from hygge.types import RunStatus, RunType
from tests.support.workspace import land, read_lake, run, write_workspace

PARQUET = """\
home: {type: parquet, path: landing}
store: {type: parquet, path: lake}
run_type: %s
entities: [o]
"""
CSV = """\
home: {type: local, path: landing, format: csv%s}
store: {type: parquet, path: lake}
run_type: incremental
%s
entities: [o]
"""
NDJSON = """\
home: {type: local, path: landing, format: ndjson}
store: {type: parquet, path: lake}
entities: [o]
"""


def failure(root: Path, run_type: RunType | None = None) -> str:
    """The message of the entity's failed run."""
    (result,) = run(root, run_type=run_type).results
    assert result.status is RunStatus.FAIL, "the run was expected to fail"
    return result.message or ""


def put(root: Path, name: str, data: bytes | str) -> Path:
    path = root / "landing" / "o" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


# 1. The file that holds the bad batch ------------------------------------------------------


def test_a_type_error_names_the_later_file_that_holds_the_bad_batch(tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws", {"f": PARQUET % "full_drop"})
    land(root, "o", "a", pl.DataFrame({"id": [1], "x": [2]}))
    land(root, "o", "b", pl.DataFrame({"id": [2], "x": [3]}))
    land(root, "o", "c", pl.DataFrame({"id": [3], "x": [1.5]}))

    message = failure(root)

    assert "file c.parquet" in message
    assert "b.parquet" not in message


def test_a_column_error_names_the_second_file_not_the_first(tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws", {"f": PARQUET % "full_drop"})
    land(root, "o", "a", pl.DataFrame({"id": [1], "x": [2]}))
    land(root, "o", "b", pl.DataFrame({"id": [2], "y": [3]}))

    message = failure(root)

    assert "file b.parquet" in message
    assert "a.parquet" not in message


# 2. Hints that fit the run -------------------------------------------------------------------


def test_a_full_drop_run_never_advises_a_full_drop(tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws", {"f": PARQUET % "full_drop"})
    land(root, "o", "a", pl.DataFrame({"id": [1], "x": [2]}))
    land(root, "o", "b", pl.DataFrame({"id": [2], "x": [1.5]}))

    message = failure(root)

    assert "--full-drop" not in message
    assert "schema_overrides" in message


def test_columns_differing_between_files_of_one_run_are_not_fixed_by_a_full_drop(
    tmp_path: Path,
) -> None:
    root = write_workspace(tmp_path / "ws", {"f": PARQUET % "incremental"})
    land(root, "o", "a", pl.DataFrame({"id": [1], "x": [2]}))
    land(root, "o", "b", pl.DataFrame({"id": [2], "y": [3]}))

    message = failure(root)

    assert "--full-drop" not in message
    assert "own entity" in message


def test_new_source_columns_against_published_data_advise_a_full_drop_only_if_all_files_changed(
    tmp_path: Path,
) -> None:
    root = write_workspace(tmp_path / "ws", {"f": PARQUET % "incremental"})
    land(root, "o", "a", pl.DataFrame({"id": [1], "x": [2]}))
    assert run(root).ok
    land(root, "o", "b", pl.DataFrame({"id": [2], "y": [3]}))

    message = failure(root)

    assert "published" in message
    assert "every file" in message
    assert "hygge go --full-drop --entity f.o" in message


def test_a_new_polish_hash_id_is_named_as_the_cause_of_differing_columns(tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws", {"f": PARQUET % "incremental"})
    land(root, "o", "a", pl.DataFrame({"id": [1], "x": [2]}))
    assert run(root).ok
    polish = "polish: {hash_ids: [{name: row_id, from_columns: [id]}]}\n"
    polished = (PARQUET % "incremental") + polish
    write_workspace(root, {"f": polished})
    land(root, "o", "b", pl.DataFrame({"id": [2], "x": [3]}))

    message = failure(root)

    assert "polish" in message
    assert "row_id" in message
    assert "hygge go --full-drop --entity f.o" in message


def test_a_new_polish_case_rule_is_named_as_the_cause_of_renamed_columns(tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws", {"f": PARQUET % "incremental"})
    land(root, "o", "a", pl.DataFrame({"OrderId": [1]}))
    assert run(root).ok
    write_workspace(root, {"f": (PARQUET % "incremental") + "polish: {columns: {case: snake}}\n"})
    land(root, "o", "b", pl.DataFrame({"OrderId": [2]}))

    message = failure(root)

    assert "polish" in message
    assert "order_id" in message
    assert "hygge go --full-drop --entity f.o" in message


def test_a_watermark_type_change_inside_one_full_drop_run_does_not_advise_a_full_drop(
    tmp_path: Path,
) -> None:
    flow = (PARQUET % "full_drop") + "watermark: {column: at}\n"
    root = write_workspace(tmp_path / "ws", {"f": flow})
    land(root, "o", "a", pl.DataFrame({"id": [1], "at": [10]}))
    land(root, "o", "b", pl.DataFrame({"id": [2], "at": ["x"]}))

    message = failure(root)

    assert "file b.parquet" in message
    assert "--full-drop" not in message


# 3. Text that is not UTF-8 -------------------------------------------------------------------


def test_latin1_csv_names_the_file_line_and_byte_and_the_encoding_option(tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws", {"f": CSV % ("", "")})
    put(root, "a.csv", "id,name\n1,abc\n")
    put(root, "b.csv", "id,name\n1,abc\n2,caf\xe9\n".encode("latin-1"))

    message = failure(root)

    assert "b.csv line 3" in message
    assert "offset 19" in message
    assert "encoding: latin1" in message
    assert "iconv" in message
    assert "utf8-lossy" in message


def test_latin1_csv_reads_with_the_encoding_the_hint_names(tmp_path: Path) -> None:
    options = ", format_options: {encoding: latin1}"
    root = write_workspace(tmp_path / "ws", {"f": CSV % (options, "")})
    put(root, "b.csv", "id,name\n2,caf\xe9\n".encode("latin-1"))

    assert run(root).ok


def test_latin1_ndjson_says_to_convert_the_file(tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws", {"f": NDJSON})
    put(root, "a.ndjson", '{"id": 1}\n{"id": 2, "n": "caf\xe9"}\n'.encode("latin-1"))

    message = failure(root)

    assert "a.ndjson line 2" in message
    assert "iconv" in message


# 4. NDJSON lines -----------------------------------------------------------------------------


def test_a_malformed_ndjson_line_is_named_by_file_and_line(tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws", {"f": NDJSON})
    put(root, "a.ndjson", '{"id": 1}\n')
    put(root, "b.ndjson", '{"id": 1}\n{"id": 2}\n{"id": 3,\n{"id": 4}\n')

    message = failure(root)

    assert "b.ndjson line 3" in message
    assert "one JSON object" in message


def test_an_ndjson_line_that_is_not_an_object_is_named(tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws", {"f": NDJSON})
    put(root, "a.ndjson", '{"id": 1}\n\n[1, 2]\n')

    message = failure(root)

    assert "a.ndjson line 3" in message


# 5. and 6. Watermark columns -----------------------------------------------------------------


def test_a_float_watermark_names_the_column_the_file_and_the_types_that_work(
    tmp_path: Path,
) -> None:
    flow = (PARQUET % "incremental") + "watermark: {column: score}\n"
    root = write_workspace(tmp_path / "ws", {"f": flow})
    land(root, "o", "a", pl.DataFrame({"id": [1], "score": [2]}).head(0))
    land(root, "o", "b", pl.DataFrame({"id": [1], "score": [2.5]}))

    message = failure(root)

    assert "'score'" in message
    assert "b.parquet" in message
    assert "Float64" in message
    assert "datetime, date, integer or string" in message


def test_a_csv_timestamp_under_a_lookback_says_how_to_parse_it(tmp_path: Path) -> None:
    watermark = "watermark: {column: at, key_columns: [id], lookback: 1h}"
    root = write_workspace(tmp_path / "ws", {"f": CSV % ("", watermark)})
    put(root, "a.csv", "id,at\n1,2024-01-01 10:00:00\n")

    message = failure(root)

    assert "'at'" in message
    assert "a.csv" in message
    assert "try_parse_dates: true" in message
    assert "schema_overrides: {at: Datetime}" in message


def test_a_csv_timestamp_read_as_text_after_datetime_runs_says_how_to_parse_it(
    tmp_path: Path,
) -> None:
    watermark = "watermark: {column: at}"
    root = write_workspace(
        tmp_path / "ws", {"f": CSV % (", format_options: {try_parse_dates: true}", watermark)}
    )
    put(root, "a.csv", "id,at\n1,2024-01-01 10:00:00\n")
    assert run(root).ok
    write_workspace(root, {"f": CSV % ("", watermark)})
    put(root, "b.csv", "id,at\n2,2024-01-02 10:00:00\n")

    message = failure(root)

    assert "b.csv" in message
    assert "try_parse_dates: true" in message


def test_a_parsed_csv_timestamp_works_with_a_lookback(tmp_path: Path) -> None:
    watermark = "watermark: {column: at, key_columns: [id], lookback: 1h}"
    root = write_workspace(
        tmp_path / "ws", {"f": CSV % (", format_options: {try_parse_dates: true}", watermark)}
    )
    put(root, "a.csv", "id,at\n1,2024-01-01 10:00:00\n")

    assert run(root).ok
    assert read_lake(root, "o")["at"].to_list() == [dt.datetime(2024, 1, 1, 10)]


# 7. Other read failures ----------------------------------------------------------------------


def test_a_truncated_parquet_file_is_named_with_what_to_do(tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws", {"f": PARQUET % "full_drop"})
    land(root, "o", "a", pl.DataFrame({"id": [1]}))
    whole = land(root, "o", "b", pl.DataFrame({"id": list(range(1000))})).read_bytes()
    put(root, "b.parquet", whole[: len(whole) // 2])

    message = failure(root)

    assert "b.parquet" in message
    assert "truncated" in message
    assert "move it out of the home" in message


def test_a_ragged_csv_row_is_named_by_line_with_the_option_that_reads_it(tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws", {"f": CSV % ("", "")})
    put(root, "a.csv", 'id,x\n1,2\n3,"a,b"\n4,5,6\n')

    message = failure(root)

    assert "a.csv line 4" in message
    assert "truncate_ragged_lines: true" in message


def test_a_csv_value_that_does_not_fit_the_inferred_type_names_the_column_and_the_fix(
    tmp_path: Path,
) -> None:
    options = ", format_options: {infer_schema_length: 2}"
    root = write_workspace(tmp_path / "ws", {"f": CSV % (options, "")})
    put(root, "a.csv", "id,x\n1,2\n2,3\n3,abc\n")

    message = failure(root)

    assert "a.csv line 4" in message
    assert "'x'" in message
    assert "schema_overrides: {x: String}" in message


def test_an_ndjson_value_that_does_not_fit_the_first_files_type_names_line_and_key(
    tmp_path: Path,
) -> None:
    root = write_workspace(tmp_path / "ws", {"f": NDJSON})
    put(root, "a.ndjson", '{"id": 1}\n')
    put(root, "b.ndjson", '{"id": 2}\n{"id": "x"}\n')

    message = failure(root)

    assert "b.ndjson line 2" in message
    assert "'id'" in message
    assert "schema_overrides: {id: String}" in message


def test_a_watermark_column_that_loses_its_time_zone_fails_before_anything_is_staged(
    tmp_path: Path,
) -> None:
    flow = (PARQUET % "incremental") + "watermark: {column: at}\n"
    root = write_workspace(tmp_path / "ws", {"f": flow})
    land(root, "o", "a", pl.DataFrame({"id": [1], "at": [dt.datetime(2024, 1, 1, tzinfo=dt.UTC)]}))
    assert run(root).ok
    land(root, "o", "b", pl.DataFrame({"id": [2], "at": [dt.datetime(2024, 1, 2)]}))

    message = failure(root)

    assert "file b.parquet" in message
    assert "'at'" in message
    assert "time zone" in message
    assert "Datetime(us, UTC)" in message
    assert read_lake(root, "o")["id"].to_list() == [1]


def test_naive_and_time_zoned_watermarks_in_one_run_are_named_not_a_type_error(
    tmp_path: Path,
) -> None:
    flow = (PARQUET % "full_drop") + "watermark: {column: at}\n"
    root = write_workspace(tmp_path / "ws", {"f": flow})
    land(root, "o", "a", pl.DataFrame({"id": [1], "at": [dt.datetime(2024, 1, 1)]}))
    land(root, "o", "b", pl.DataFrame({"id": [2], "at": [dt.datetime(2024, 1, 2, tzinfo=dt.UTC)]}))

    message = failure(root)

    assert "file b.parquet" in message
    assert "time zone" in message
    assert "--full-drop" not in message


def test_an_unclosed_quote_in_the_first_csv_row_fails_instead_of_reading_no_rows(
    tmp_path: Path,
) -> None:
    root = write_workspace(
        tmp_path / "ws",
        {
            "f": (PARQUET % "full_drop").replace(
                "{type: parquet, path: landing}", "{type: local, path: landing, format: csv}"
            )
        },
    )
    put(root, "a.csv", 'id,x\n1,"abc\n2,3\n')

    message = failure(root)

    assert "a.csv line 2" in message
    assert "quote" in message


def test_a_new_source_column_that_polish_renames_is_not_blamed_on_polish(tmp_path: Path) -> None:
    flow = (PARQUET % "incremental") + "polish: {columns: {case: snake}}\n"
    root = write_workspace(tmp_path / "ws", {"f": flow})
    land(root, "o", "a", pl.DataFrame({"id": [1]}))
    assert run(root).ok
    land(root, "o", "b", pl.DataFrame({"id": [2], "NewCol": [3]}))

    message = failure(root)

    assert "new_col" in message
    assert "Polish makes the difference" not in message
    assert "every file in the home" in message
