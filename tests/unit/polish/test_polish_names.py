"""Column-name normalisation: the original hygge's renames, collisions and idempotence."""

from __future__ import annotations

import logging

import pytest

from hygge.polish.config import ColumnRules
from hygge.polish.names import normalise_name, plan_renames, remove_special, split_words

PASCAL = ColumnRules(case="pascal")
CAMEL = ColumnRules(case="camel")
SNAKE = ColumnRules(case="snake")


@pytest.mark.parametrize(
    ("name", "words"),
    [
        pytest.param("EmployeeNumber", ["Employee", "Number"], id="pascal-boundary"),
        pytest.param("employeeNumber", ["employee", "Number"], id="camel-boundary"),
        pytest.param("XMLParser", ["XML", "Parser"], id="acronym-then-word"),
        pytest.param("HTTPSConnection", ["HTTPS", "Connection"], id="long-acronym-then-word"),
        pytest.param("XMLHTTPRequest", ["XMLHTTP", "Request"], id="consecutive-acronyms-kept"),
        pytest.param("employee_number-code", ["employee", "number", "code"], id="separators"),
        pytest.param("  first   name ", ["first", "name"], id="extra-whitespace"),
        pytest.param("___", [], id="only-separators"),
    ],
)
def test_words_split_at_separators_and_case_boundaries(name: str, words: list[str]) -> None:
    assert split_words(name) == words


@pytest.mark.parametrize(
    ("name", "pascal", "camel", "snake"),
    [
        pytest.param("EmployeeNumber", "EmployeeNumber", "employeeNumber", "employee_number"),
        pytest.param("employee_number", "EmployeeNumber", "employeeNumber", "employee_number"),
        pytest.param("first name", "FirstName", "firstName", "first_name", id="spaces"),
        pytest.param("Employee-ID", "EmployeeId", "employeeId", "employee_id", id="id-word"),
        pytest.param("AONE", "Aone", "aone", "aone", id="all-caps-capitalised"),
        pytest.param("XMLParser", "XmlParser", "xmlParser", "xml_parser", id="acronym"),
        pytest.param("XMLHTTPRequest", "XmlhttpRequest", "xmlhttpRequest", "xmlhttp_request"),
        pytest.param("Col2Name", "Col2name", "col2name", "col2name", id="digit-no-boundary"),
        pytest.param("___", "___", "___", "___", id="empty-result-keeps-original"),
    ],
)
def test_case_conversion_matches_the_original(
    name: str, pascal: str, camel: str, snake: str
) -> None:
    assert normalise_name(name, PASCAL) == pascal
    assert normalise_name(name, CAMEL) == camel
    assert normalise_name(name, SNAKE) == snake


@pytest.mark.parametrize(
    ("name", "cleaned"),
    [
        pytest.param("Effective-Date (UTC)", "Effective-Date UTC", id="paren-word-moved-last"),
        pytest.param("a (b c) d", "a d b c", id="paren-words-after-rest"),
        pytest.param("Name (first) (legal)", "Name first legal", id="several-parens"),
        pytest.param("Total Sales %", "Total Sales", id="special-dropped-and-stripped"),
        pytest.param("Price (€)", "Price", id="special-inside-parens-dropped"),
        pytest.param("(UTC)", "UTC", id="only-parens-no-leading-space"),
        pytest.param("snake_and-kebab", "snake_and-kebab", id="underscore-hyphen-kept"),
    ],
)
def test_remove_special_keeps_letters_digits_spaces_and_separators(name: str, cleaned: str) -> None:
    assert remove_special(name) == cleaned


@pytest.mark.parametrize(
    ("rules", "name", "expected"),
    [
        pytest.param(ColumnRules(), "First Name", "First Name", id="no-rules-no-change"),
        pytest.param(ColumnRules(remove_spaces=True), "First Name", "FirstName", id="spaces"),
        pytest.param(
            ColumnRules(remove_special=True, remove_spaces=True),
            "Effective Date (UTC)",
            "EffectiveDateUTC",
            id="special-then-spaces",
        ),
        pytest.param(
            ColumnRules(remove_special=True, case="pascal"),
            "Effective-Date (UTC)",
            "EffectiveDateUtc",
            id="special-then-pascal",
        ),
        pytest.param(ColumnRules(remove_special=True), "#", "#", id="empty-keeps-original"),
        pytest.param(None, "Any Name!", "Any Name!", id="no-column-rules"),
    ],
)
def test_rules_apply_in_order_special_spaces_case(
    rules: ColumnRules | None, name: str, expected: str
) -> None:
    assert normalise_name(name, rules) == expected


def test_colliding_names_get_numbered_suffixes_in_name_order(
    caplog: pytest.LogCaptureFixture,
) -> None:
    columns = ["Employee-ID", "EmployeeID", "Employee ID", "Name"]

    with caplog.at_level(logging.WARNING, logger="hygge.polish"):
        final = plan_renames(columns, PASCAL)

    assert final == {
        "Employee-ID": "EmployeeId_1",
        "EmployeeID": "EmployeeId_2",
        "Employee ID": "EmployeeId",
        "Name": "Name",
    }
    [record] = caplog.records
    assert "['Employee-ID', 'EmployeeID', 'Employee ID']" in record.getMessage()
    assert "'EmployeeId'" in record.getMessage()


def test_collision_suffix_skips_a_name_another_column_already_has() -> None:
    final = plan_renames(["Employee ID", "employee_id_1", "EmployeeID"], SNAKE)

    assert final == {
        "Employee ID": "employee_id",
        "employee_id_1": "employee_id_1",
        "EmployeeID": "employee_id_2",
    }


def test_kept_columns_are_never_renamed_and_win_collisions() -> None:
    final = plan_renames(["LoadTime", "load_time"], SNAKE, keep={"load_time", "Other"})

    assert final == {"LoadTime": "load_time_1", "load_time": "load_time"}


def test_no_collision_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="hygge.polish"):
        plan_renames(["a", "b"], PASCAL)

    assert caplog.records == []


IDEMPOTENCE_NAMES = [
    "Employee-ID",
    "Effective Date (UTC)",
    "XMLParser",
    "XMLHTTPRequest",
    "first name",
    "Amount ($)",
    "already_snake",
    "__rowMarker__",
    "Address1",
    "Col2Name",
    "#",
]


@pytest.mark.parametrize(
    "rules",
    [
        pytest.param(ColumnRules(case="pascal"), id="pascal"),
        pytest.param(ColumnRules(case="camel"), id="camel"),
        pytest.param(ColumnRules(case="snake"), id="snake"),
        pytest.param(ColumnRules(remove_special=True), id="special"),
        pytest.param(ColumnRules(remove_spaces=True), id="spaces"),
        pytest.param(ColumnRules(remove_special=True, remove_spaces=True, case="pascal"), id="all"),
        pytest.param(ColumnRules(remove_special=True, case="snake"), id="special-snake"),
    ],
)
def test_normalising_a_normalised_name_changes_nothing(rules: ColumnRules) -> None:
    once = [normalise_name(name, rules) for name in IDEMPOTENCE_NAMES]

    twice = [normalise_name(name, rules) for name in once]

    assert twice == once
