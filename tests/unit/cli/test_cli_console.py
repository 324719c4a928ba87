"""hygge's consoles: names print as written, and a pipe gets wide plain tables."""

from __future__ import annotations

import pytest

from hygge.cli.console import PLAIN_WIDTH, make_console


def test_a_name_that_looks_like_an_emoji_code_prints_as_written(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    out = make_console()

    out.print("flow :smile: entity :x:", markup=False)

    assert capsys.readouterr().out == "flow :smile: entity :x:\n"


def test_a_console_into_a_pipe_is_plain_width(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)

    for console in (make_console(), make_console(stderr=True)):
        assert not console.is_terminal
        assert console.width == PLAIN_WIDTH
