"""How errors reach the user: message on stderr, exit code, traceback only when verbose."""

from __future__ import annotations

import logging

import pytest
import typer
from typer.testing import CliRunner

from hygge.cli.console import make_console, reported_errors
from hygge.errors import ConfigError, DataError


def _app_raising(error: BaseException) -> typer.Typer:
    app = typer.Typer()

    @app.command()
    def fail(verbose: bool = False) -> None:
        with reported_errors(make_console(stderr=True), verbose=verbose):
            raise error

    return app


@pytest.mark.parametrize(
    ("error", "code", "first_line"),
    [
        pytest.param(
            ConfigError("unknown key 'hom'", file="flows/a/flow.yml", line=3, hint="use 'home'"),
            2,
            "Configuration error: flows/a/flow.yml line 3: unknown key 'hom'",
            id="config",
        ),
        pytest.param(DataError("column x is missing"), 1, "error: column x is missing", id="data"),
        pytest.param(
            RuntimeError("kaboom"), 1, "error: unexpected RuntimeError: kaboom", id="unexpected"
        ),
    ],
)
def test_errors_print_one_message_on_stderr_and_exit_with_their_code(error, code, first_line):
    result = CliRunner().invoke(_app_raising(error), [])

    assert result.exit_code == code
    assert result.stdout == ""
    assert result.stderr.splitlines()[0] == first_line
    assert "Traceback" not in result.stderr


def test_a_configuration_error_shows_its_hint():
    error = ConfigError("unknown key 'hom'", file="flow.yml", hint="did you mean 'home'?")

    result = CliRunner().invoke(_app_raising(error), [])

    assert "hint: did you mean 'home'?" in result.stderr


def test_verbose_adds_the_traceback_of_an_unexpected_error():
    result = CliRunner().invoke(_app_raising(RuntimeError("kaboom")), ["--verbose"])

    assert result.exit_code == 1
    assert "Traceback" in result.stderr
    assert "error: unexpected RuntimeError: kaboom" in result.stderr


def test_without_verbose_an_unexpected_error_says_how_to_see_the_traceback():
    result = CliRunner().invoke(_app_raising(RuntimeError("kaboom")), [])

    assert "run again with -v to see the traceback" in result.stderr


def test_a_command_leaves_hygge_logging_as_it_found_it(project, invoke):
    logger = logging.getLogger("hygge")
    before = (logger.level, logger.propagate, list(logger.handlers))

    invoke("go", "-v", "-e", "sample.customers")
    invoke("list")

    assert (logger.level, logger.propagate, list(logger.handlers)) == before
