"""Session 27: `hygge <command> --help` in an 80-column terminal (the default one). A
command's description paragraphs are drawn filled, each line as full as its words allow, not
broken where the docstring's source lines end (`... 2   ` / `for a` / `configuration error.`)."""

from __future__ import annotations

from itertools import pairwise

import pytest
from typer.testing import CliRunner

from hygge.cli.app import app
from hygge.cli.commands import COMMANDS

WIDTH = 80


def _description(name: str) -> list[list[str]]:
    """The paragraphs between the usage line and the first option box, as drawn."""
    done = CliRunner().invoke(app, [name, "--help"], env={"COLUMNS": str(WIDTH)})
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    start = next(i for i, line in enumerate(lines) if "Usage:" in line) + 1
    end = next(i for i, line in enumerate(lines) if line.startswith("╭"))
    paragraphs: list[list[str]] = [[]]
    for line in lines[start:end]:
        if line.strip():
            paragraphs[-1].append(line.strip())
        elif paragraphs[-1]:
            paragraphs.append([])
    return [p for p in paragraphs if p]


def _unfilled(paragraph: list[str]) -> list[str]:
    """Lines after which the next line's first word would still have fitted."""
    room = WIDTH - 2  # Rich's help keeps one column of margin each side
    return [
        line for line, after in pairwise(paragraph) if len(line) + 1 + len(after.split()[0]) <= room
    ]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_commands_help_paragraphs_are_filled_at_80_columns(name):
    ragged = [line for p in _description(name) for line in _unfilled(p)]

    assert ragged == []
