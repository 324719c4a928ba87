"""Settings the engine used to check mid-run are refused when the workspace loads, with the
file and line: format_options keys, encodings, column types, file_pattern, a lookback whose
form cannot apply to the column that `initial` describes."""

from __future__ import annotations

import pytest

from hygge.config import load_workspace
from hygge.errors import ConfigError

CSV_FLOW = """\
home:
  type: local
  path: landing
  format: csv
  format_options:
    separator: ';'
    {option}
store: lake
"""

STORE_FLOW = """\
home: landing
store:
  type: local
  path: lake
  format: {fmt}
  {setting}
"""


def _refusal(write_workspace, files: dict[str, str]) -> ConfigError:
    root = write_workspace(files)
    with pytest.raises(ConfigError) as raised:
        load_workspace(root, env={})
    return raised.value


@pytest.mark.parametrize(
    ("option", "detail", "hint"),
    [
        pytest.param(
            "has_headr: false",
            "home.format_options: unknown csv format option 'has_headr' (did you mean "
            "'has_header'?)",
            "csv readers take: comment_prefix, ",
            id="misspelt-key",
        ),
        pytest.param(
            "n_rows: 5",
            "home.format_options: csv format option 'n_rows' is set by hygge itself (it decides "
            "which files, which rows and where they go); remove it",
            None,
            id="key-hygge-controls",
        ),
        pytest.param(
            "encoding: latin-9x",
            "home.format_options: unknown encoding 'latin-9x'",
            "polars reads csv as utf8 (or utf8-lossy",
            id="unknown-encoding",
        ),
        pytest.param(
            "schema_overrides: {id: Integer}",
            "home.format_options: unknown column type 'Integer' for column 'id'",
            "use a polars type name",
            id="unknown-column-type",
        ),
    ],
)
def test_a_bad_home_format_option_is_refused_at_load_on_its_own_line(
    write_workspace, option, detail, hint
):
    error = _refusal(write_workspace, {"flows/f/flow.yml": CSV_FLOW.format(option=option)})

    assert (error.file, error.line) == ("flows/f/flow.yml", 7)
    assert error.detail == detail
    assert error.hint is None if hint is None else error.hint.startswith(hint)


@pytest.mark.parametrize(
    "encoding", ["utf8", "utf8-lossy", "UTF-8", "latin1", "cp1252", "iso8859_15", "utf-16"]
)
def test_an_encoding_polars_or_python_knows_loads(write_workspace, encoding):
    root = write_workspace({"flows/f/flow.yml": CSV_FLOW.format(option=f"encoding: {encoding}")})

    [entity] = load_workspace(root, env={}).entities

    assert entity.home.format_options["encoding"] == encoding  # type: ignore[union-attr]


def test_a_format_option_of_another_format_is_refused(write_workspace):
    flow = "home: {type: local, path: landing, format: ndjson, format_options: {separator: ';'}}\n"

    error = _refusal(write_workspace, {"flows/f/flow.yml": flow + "store: lake\n"})

    assert error.line == 1
    assert error.detail == "home.format_options: unknown ndjson format option 'separator'"


def test_an_encoding_for_ndjson_says_it_applies_to_csv_only(write_workspace):
    flow = (
        "home: {type: local, path: landing, format: ndjson, format_options: {encoding: latin1}}\n"
    )

    error = _refusal(write_workspace, {"flows/f/flow.yml": flow + "store: lake\n"})

    assert error.detail == (
        "home.format_options: encoding applies to csv files only; ndjson files are read as UTF-8"
    )


def test_a_bad_format_option_in_an_entity_file_points_into_that_file(write_workspace):
    entity = "name: orders\nhome:\n  format: csv\n  format_options: {delimiter: ';'}\n"

    error = _refusal(
        write_workspace,
        {
            "flows/f/flow.yml": "home: {type: local, path: landing}\nstore: lake\n",
            "flows/f/entities/orders.yml": entity,
        },
    )

    assert (error.file, error.line) == ("flows/f/entities/orders.yml", 4)
    assert "unknown csv format option 'delimiter'" in error.detail


@pytest.mark.parametrize(
    ("fmt", "setting", "detail"),
    [
        pytest.param(
            "parquet",
            "format_options: {row_groups: 9}",
            "store.format_options: unknown parquet format option 'row_groups' (did you mean "
            "'row_group_size'?)",
            id="parquet-option",
        ),
        pytest.param(
            "csv",
            "format_options: {delimiter: ';'}",
            "store.format_options: unknown csv format option 'delimiter'",
            id="csv-option",
        ),
        pytest.param(
            "parquet",
            "file_pattern: '{seq}.parquet'",
            "store.file_pattern: '{seq}.parquet' has an unknown placeholder {seq}",
            id="unknown-placeholder",
        ),
        pytest.param(
            "parquet",
            "file_pattern: '{sequence:q}'",
            "store.file_pattern: '{sequence:q}' has an invalid format spec {sequence:q} "
            "(Unknown format code 'q' for object of type 'int')",
            id="bad-format-spec",
        ),
        pytest.param(
            "parquet",
            "file_pattern: '{entity}_{timestamp:05d}_{sequence}'",
            "store.file_pattern: '{entity}_{timestamp:05d}_{sequence}' has an invalid format "
            "spec {timestamp:05d} (Unknown format code 'd' for object of type 'str')",
            id="number-spec-on-text",
        ),
        pytest.param(
            "csv",
            "file_pattern: '_{sequence}'",
            "store.file_pattern: '_{sequence}' makes names starting with '.' or '_' (e.g. "
            "_0.csv), which readers skip as hidden",
            id="hidden-names",
        ),
        pytest.param(
            "parquet",
            "file_pattern: 'part-{run_id}'",
            "store.file_pattern: 'part-{run_id}' must contain {sequence} so that files never "
            "collide",
            id="no-sequence",
        ),
        pytest.param(
            "parquet",
            "file_pattern: 'day/{sequence}'",
            "store.file_pattern: 'day/{sequence}' must be a file name, without '/' or '\\'",
            id="sub-folder",
        ),
        pytest.param(
            "parquet",
            "file_pattern: '{sequence'",
            "store.file_pattern: '{sequence' is not a valid pattern (expected '}' before end "
            "of string)",
            id="unbalanced-brace",
        ),
    ],
)
def test_a_bad_store_setting_is_refused_at_load_on_its_own_line(
    write_workspace, fmt, setting, detail
):
    flow = STORE_FLOW.format(fmt=fmt, setting=setting)

    error = _refusal(write_workspace, {"flows/f/flow.yml": flow})

    assert (error.file, error.line) == ("flows/f/flow.yml", 6)
    assert error.detail == detail
    assert error.hint


@pytest.mark.parametrize(
    "pattern", ["{sequence:05d}", "{entity}_{sequence}.csv", "{flow}-{run_id}-{sequence:x}"]
)
def test_a_valid_file_pattern_loads(write_workspace, pattern):
    flow = STORE_FLOW.format(fmt="csv", setting=f"file_pattern: '{pattern}'")
    root = write_workspace({"flows/f/flow.yml": flow})

    [entity] = load_workspace(root, env={}).entities

    assert entity.store.file_pattern == pattern  # type: ignore[union-attr]


LOOKBACK_FLOW = """\
home: landing
store: lake
run_type: incremental
watermark:
  column: code
  key_columns: [id]
  initial: {initial}
  lookback: {lookback}
"""


@pytest.mark.parametrize(
    ("initial", "lookback", "detail"),
    [
        pytest.param(
            "1000",
            "2h",
            "watermark: lookback '2h' is a duration, but initial 1000 is a whole number, so the "
            "column holds integers: a duration applies to datetime and date columns",
            id="duration-on-integers",
        ),
        pytest.param(
            "A-0001",
            "2h",
            "watermark: lookback does not apply to a string watermark column (initial 'A-0001' "
            "is not a date, a time or a number): strings have no distance to look back by",
            id="duration-on-strings",
        ),
        pytest.param(
            "'A-0001'",
            "10",
            "watermark: lookback does not apply to a string watermark column (initial 'A-0001' "
            "is not a date, a time or a number): strings have no distance to look back by",
            id="count-on-strings",
        ),
    ],
)
def test_a_lookback_that_cannot_apply_to_the_initial_kind_is_refused_at_load(
    write_workspace, initial, lookback, detail
):
    flow = LOOKBACK_FLOW.format(initial=initial, lookback=lookback)

    error = _refusal(write_workspace, {"flows/f/flow.yml": flow})

    assert (error.file, error.line) == ("flows/f/flow.yml", 8)
    assert error.detail == detail
    assert error.hint


@pytest.mark.parametrize(
    ("initial", "lookback"),
    [
        pytest.param("2024-01-01", "1d", id="date-and-duration"),
        pytest.param("'2024-01-01 08:00:00'", "2h", id="datetime-and-duration"),
        pytest.param("'2024-01-01T08:00:00+00:00'", "3600", id="datetime-and-seconds"),
        pytest.param("1000", "50", id="integer-and-count"),
        pytest.param("'1000'", "50", id="integer-text-and-count"),
    ],
)
def test_a_lookback_that_fits_the_initial_kind_loads(write_workspace, initial, lookback):
    root = write_workspace(
        {"flows/f/flow.yml": LOOKBACK_FLOW.format(initial=initial, lookback=lookback)}
    )

    [entity] = load_workspace(root, env={}).entities

    assert entity.watermark is not None and entity.watermark.lookback is not None
