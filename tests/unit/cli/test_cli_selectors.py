"""`-f` / `-e` select flows and entities; an empty one is an error, never "everything"."""

from __future__ import annotations

import pytest

from hygge.state.local import LocalStateBackend

EMPTY = [
    pytest.param("", id="empty"),
    pytest.param(",", id="comma"),
    pytest.param(" ", id="blank"),
    pytest.param("sample.orders,", id="trailing-comma"),
    pytest.param("sample.orders, ,sample.customers", id="blank-in-list"),
]


def _assert_refused(result, option: str, value: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(
        f"Configuration error: {option} got an empty name in {value!r}"
    ), result.stderr
    assert "an empty selector never selects everything" in result.stderr


@pytest.mark.parametrize("value", EMPTY)
def test_go_with_an_empty_entity_selector_is_refused_and_moves_nothing(
    project, invoke, snapshot, value
):
    before = snapshot(project)

    result = invoke("go", "-e", value)

    _assert_refused(result, "--entity", value)
    assert snapshot(project) == before


@pytest.mark.parametrize("value", ["", ",", " "])
def test_go_with_an_empty_flow_selector_is_refused(project, invoke, snapshot, value):
    before = snapshot(project)

    result = invoke("go", "--flow", value)

    _assert_refused(result, "--flow", value)
    assert snapshot(project) == before


def test_an_empty_selector_next_to_a_valid_one_is_refused_too(project, invoke):
    result = invoke("go", "-f", "sample", "-e", "", "--dry-run")

    _assert_refused(result, "--entity", "")


def test_dry_run_with_an_empty_selector_is_refused(project, invoke):
    result = invoke("go", "--dry-run", "-e", "")

    _assert_refused(result, "--entity", "")


@pytest.mark.parametrize("option", ["--flow", "--entity"])
def test_journal_with_an_empty_selector_is_refused(project, invoke, option):
    assert invoke("go").exit_code == 0

    result = invoke("journal", option, "")

    _assert_refused(result, option, "")


def test_reset_with_an_empty_flow_is_refused_and_forgets_nothing(project, invoke):
    assert invoke("go").exit_code == 0
    state = LocalStateBackend(project / ".hygge")
    before = state.list_watermarks()

    result = invoke("reset", "--flow", "", "--yes")

    _assert_refused(result, "--flow", "")
    assert state.list_watermarks() == before and before


def test_reset_with_an_empty_entity_is_refused_and_forgets_nothing(project, invoke):
    assert invoke("go").exit_code == 0
    state = LocalStateBackend(project / ".hygge")
    before = state.list_watermarks()

    result = invoke("reset", "-f", "sample", "-e", " ", "--yes")

    _assert_refused(result, "--entity", " ")
    assert state.list_watermarks() == before


def test_repeated_and_comma_separated_selectors_still_work(project, invoke):
    result = invoke("go", "-e", "sample.orders, sample.customers", "-f", "sample")

    assert result.exit_code == 0, result.output
