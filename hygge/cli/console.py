"""Consoles, logging and the mapping of errors to messages and exit codes.

Exit codes: 0 ok, 1 an entity (or a check) failed or another error, 2 a configuration error.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from hygge.errors import ConfigError, HyggeError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2
EXIT_INTERRUPTED = 130
PLAIN_WIDTH = 120  # tables in logs and pipes are not squeezed into 80 columns

VerboseOption = Annotated[
    bool,
    typer.Option("--verbose", "-v", help="Debug logging on stderr, and tracebacks for errors."),
]

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def make_console(*, stderr: bool = False) -> Console:
    """A console on stdout (or stderr); plain and wide when it is not a terminal.

    No emoji codes: hygge's texts use none, and a name like `:x:` in a flow, entity or path
    must print as written (Rich would also import its table of emoji codes, ~10 M
    instructions of every `hygge go`, for the first line it prints).
    """
    console = Console(stderr=stderr, highlight=False, emoji=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = PLAIN_WIDTH
    return console


@contextmanager
def running_command(err: Console, *, verbose: bool) -> Iterator[None]:
    """For one command: hygge's log records on stderr, and errors mapped to exit codes."""
    with logging_to(err, verbose=verbose), reported_errors(err, verbose=verbose):
        yield


@contextmanager
def logging_to(err: Console, *, verbose: bool) -> Iterator[None]:
    """Log hygge's records to stderr (debug with -v, else warnings); undone when it ends."""
    logger = logging.getLogger("hygge")
    saved = (logger.level, logger.propagate)
    handler: logging.Handler
    if err.is_terminal:  # Rich's log rendering, imported only for a terminal
        from rich.logging import RichHandler

        handler = RichHandler(console=err, show_path=verbose, rich_tracebacks=True)
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        handler = logging.StreamHandler(err.file)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose else logging.WARNING)
    logger.propagate = False  # the records are shown here; a root handler would repeat them
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


def apply_log_level(level: str | None, *, verbose: bool) -> None:
    """Honour hygge.yml `options.log_level` unless -v already asked for debug logging."""
    if verbose or level is None:
        return
    name = level.strip().upper()
    if name not in LOG_LEVELS:
        raise ConfigError(
            f"options.log_level '{level}' is not a log level",
            file="hygge.yml",
            hint=f"use one of {', '.join(LOG_LEVELS)}",
        )
    logging.getLogger("hygge").setLevel(name)


@contextmanager
def reported_errors(err: Console, *, verbose: bool) -> Iterator[None]:
    """Turn errors into a message on stderr and an exit code; tracebacks only when verbose."""
    try:
        yield
    except (typer.Exit, typer.Abort, typer.BadParameter):
        raise
    except ConfigError as error:
        _show(err, "Configuration error: ", error, verbose)
        raise typer.Exit(EXIT_CONFIG) from error
    except HyggeError as error:
        _show(err, "error: ", error, verbose)
        raise typer.Exit(EXIT_FAILED) from error
    except KeyboardInterrupt as error:
        err.print(
            Text(
                "interrupted; an unfinished entity run continues on the next `hygge go`",
                style="red",
            )
        )
        raise typer.Exit(EXIT_INTERRUPTED) from error
    except Exception as error:
        _show(err, f"error: unexpected {type(error).__name__}: ", error, verbose)
        if not verbose:
            err.print("  run again with -v to see the traceback", style="dim")
        raise typer.Exit(EXIT_FAILED) from error


def _show(err: Console, prefix: str, error: BaseException, verbose: bool) -> None:
    if verbose:
        err.print_exception()
    err.print(Text(f"{prefix}{error}", style="red"))
