"""Hash ids: values against hashlib, nulls, placement, source matching and its errors."""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime
from typing import Any

import polars as pl
import pytest

from hygge.errors import DataError
from hygge.polish import PolishConfig, Polisher

STARTED = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def polish(batch: pl.DataFrame, entity: str | None = None, **config: Any) -> pl.DataFrame:
    return Polisher(PolishConfig.model_validate(config), STARTED, entity=entity).apply(batch)


def hash_rule(*columns: str, **extra: Any) -> dict[str, Any]:
    return {"name": "RowHash", "from_columns": list(columns), **extra}


PEOPLE = pl.DataFrame({"Id": [1, 2], "Name": ["Ann", "Bo"]})


@pytest.mark.parametrize("algo", ["md5", "sha1", "sha256", "sha512", "blake2b"])
def test_hex_hash_equals_hashlib_of_pipe_joined_values(algo: str) -> None:
    out = polish(PEOPLE, hash_ids=[hash_rule("Id", "Name", algo=algo)])

    expected = [hashlib.new(algo, text.encode()).hexdigest() for text in ["1|Ann", "2|Bo"]]
    assert out.schema["RowHash"] == pl.String
    assert out["RowHash"].to_list() == expected


@pytest.mark.parametrize("algo", ["md5", "sha1", "sha256", "sha512", "blake2b"])
def test_binary_hash_equals_hashlib_raw_digest(algo: str) -> None:
    out = polish(PEOPLE, hash_ids=[hash_rule("Id", "Name", algo=algo, hex=False)])

    expected = [hashlib.new(algo, text.encode()).digest() for text in ["1|Ann", "2|Bo"]]
    assert out.schema["RowHash"] == pl.Binary
    assert out["RowHash"].to_list() == expected


def test_default_algorithm_is_sha256_hex_with_a_pinned_value() -> None:
    out = polish(PEOPLE.head(1), hash_ids=[hash_rule("Id", "Name")])

    assert out["RowHash"][0] == "8c590d3d784ffcaddfe2eec338143d394515ae6e03d3e91988e8f9fdfcb8db88"


@pytest.mark.parametrize(
    ("values", "hashed_text"),
    [
        pytest.param({"a": ["x"], "b": [None]}, "x|", id="null-last"),
        pytest.param({"a": [None], "b": ["y"]}, "|y", id="null-first"),
        pytest.param({"a": [None], "b": [None]}, "|", id="all-null"),
        pytest.param({"a": ["é"], "b": ["ü"]}, "é|ü", id="utf8-bytes"),
        pytest.param({"a": [True], "b": [1.5]}, "true|1.5", id="bool-and-float"),
        pytest.param(
            {"a": [datetime(2024, 1, 2, 3, 4, 5)], "b": ["z"]},
            "2024-01-02 03:04:05.000000|z",
            id="datetime-polars-cast",
        ),
    ],
)
def test_each_value_is_cast_to_text_with_nulls_as_empty_strings(
    values: dict[str, list[Any]], hashed_text: str
) -> None:
    out = polish(pl.DataFrame(values), hash_ids=[hash_rule("a", "b")])

    assert out["RowHash"][0] == hashlib.sha256(hashed_text.encode()).hexdigest()


def test_rows_with_a_null_do_not_all_collide() -> None:
    batch = pl.DataFrame({"a": ["x", "y"], "b": [None, None]})

    out = polish(batch, hash_ids=[hash_rule("a", "b")])

    assert out["RowHash"].n_unique() == 2


def test_hash_column_goes_first_and_sources_stay() -> None:
    out = polish(PEOPLE, hash_ids=[hash_rule("Name")])

    assert out.columns == ["RowHash", "Id", "Name"]
    assert out["Name"].to_list() == ["Ann", "Bo"]


def test_each_further_hash_column_is_placed_before_the_earlier_ones() -> None:
    rules = [hash_rule("Id"), {"name": "NameHash", "from_columns": ["Name"]}]

    out = polish(PEOPLE, hash_ids=rules)

    assert out.columns == ["NameHash", "RowHash", "Id", "Name"]


def test_a_column_listed_twice_is_hashed_twice() -> None:
    out = polish(PEOPLE.head(1), hash_ids=[hash_rule("Id", "Id")])

    assert out["RowHash"][0] == hashlib.sha256(b"1|1").hexdigest()


def test_existing_target_column_is_kept_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    batch = PEOPLE.with_columns(pl.lit("mine").alias("RowHash"))

    with caplog.at_level(logging.WARNING, logger="hygge.polish"):
        out = polish(batch, hash_ids=[hash_rule("Id")])

    assert out.columns == ["Id", "Name", "RowHash"]
    assert out["RowHash"].to_list() == ["mine", "mine"]
    assert "already has column 'RowHash'" in caplog.text


@pytest.mark.parametrize(
    ("present", "wanted", "column_rules"),
    [
        pytest.param("EmployeeId", "employee_id", {"case": "pascal"}, id="configured-case"),
        pytest.param("employee_id", "EmployeeID", {"case": "snake"}, id="configured-snake"),
        pytest.param("EmployeeId", "Employee ID", None, id="separators-and-case-ignored"),
        pytest.param("employee_id", "EMPLOYEE-ID", None, id="hyphen-upper"),
        pytest.param(
            "EmployeeIdHr",
            "Employee Id (HR)",
            {"remove_special": True, "case": "pascal"},
            id="all-column-rules",
        ),
    ],
)
def test_missing_source_column_is_matched_fuzzily(
    present: str, wanted: str, column_rules: dict[str, Any] | None
) -> None:
    batch = pl.DataFrame({present: [7], "Other": ["x"]})

    out = polish(batch, hash_ids=[hash_rule(wanted)], columns=column_rules)

    assert out.to_series(0)[0] == hashlib.sha256(b"7").hexdigest()


def test_exact_name_wins_over_a_fuzzy_match() -> None:
    batch = pl.DataFrame({"employee_id": [1], "EmployeeId": [2]})

    out = polish(batch, hash_ids=[hash_rule("EmployeeId")])

    assert out["RowHash"][0] == hashlib.sha256(b"2").hexdigest()


def test_ambiguous_fuzzy_match_is_an_error_naming_the_candidates() -> None:
    batch = pl.DataFrame({"EmployeeID": [1], "Employee_Id": [2]})

    with pytest.raises(DataError) as caught:
        polish(batch, hash_ids=[hash_rule("employee id")], columns={"case": "pascal"})

    message = str(caught.value)
    assert "'employee id'" in message
    assert "['EmployeeID', 'Employee_Id']" in message
    assert "exactly" in message


def test_missing_source_column_error_names_it_lists_columns_and_suggests() -> None:
    batch = pl.DataFrame({"Id": [1], "Name": ["Ann"], "Amount": [2.0]})

    with pytest.raises(DataError) as caught:
        polish(batch, entity="crm.people", hash_ids=[hash_rule("Idd", "Name", "Nothing")])

    message = str(caught.value)
    assert "hash id 'RowHash' (entity crm.people)" in message
    assert "['Idd', 'Nothing'] not found" in message
    assert "available columns: ['Id', 'Name', 'Amount']" in message
    assert "Did you mean 'Id' for 'Idd'?" in message
    assert "from_columns" in message


def test_missing_source_column_fails_even_on_an_empty_batch() -> None:
    with pytest.raises(DataError, match="not found"):
        polish(PEOPLE.clear(), hash_ids=[hash_rule("Missing")])


def test_column_that_cannot_become_text_is_a_data_error() -> None:
    batch = pl.DataFrame({"Id": [1], "Tags": [["a", "b"]]})

    with pytest.raises(DataError) as caught:
        polish(batch, hash_ids=[hash_rule("Id", "Tags")])

    assert "'Tags'" in str(caught.value)
    assert "List" in str(caught.value)


@pytest.mark.parametrize(
    ("hex_digest", "dtype"),
    [pytest.param(True, pl.String, id="hex"), pytest.param(False, pl.Binary, id="binary")],
)
def test_empty_batch_gets_a_typed_empty_hash_column(hex_digest: bool, dtype: pl.DataType) -> None:
    out = polish(PEOPLE.clear(), hash_ids=[hash_rule("Id", hex=hex_digest)])

    assert dict(out.schema) == {"RowHash": dtype, "Id": pl.Int64, "Name": pl.String}
    assert out.height == 0
