"""Session 28b: control characters in workspace YAML, attacked further. The file, line and
column stay right after multi-byte letters and emoji, CRLF line ends, a BOM, in a comment and
in hygge.yml. NEL (U+0085, the one C1 control character libyaml lets through), LINE and
PARAGRAPH SEPARATOR were read as line breaks: every later error named a line one below what an
editor shows ('line 4: could not find expected ':'' for a NEL on line 2). Refused now, named
by file, line and column like the control characters YAML refuses."""

from __future__ import annotations

import pytest

from tests.integration.test_attack_session28_yaml import FLOW, _workspace
from tests.support.cli import in_process
from tests.support.workspace import read_lake

STORE = "store: {type: parquet, path: lake}"


@pytest.mark.parametrize(
    ("flow", "line", "column"),
    [
        (FLOW.replace(STORE, "store: {type: parquet, path: læke_øå}\x07"), 2, 38),
        (FLOW.replace("\n", "\r\n").replace("lake}", "lake}\x07"), 2, 35),
        (FLOW + "# a note\x07\n", 4, 9),
        ("\ufeff" + FLOW.replace("lake}", "lake}\x07"), 2, 35),
        (FLOW.replace("[events]", "[events] # 😀\x07"), 3, 23),
        ("\x1b" + FLOW, 1, 1),
    ],
    ids=["multi-byte-letters", "crlf", "comment", "bom", "emoji", "first-character"],
)
def test_a_control_character_is_named_where_an_editor_shows_it(tmp_path, flow, line, column):
    ws = _workspace(tmp_path, flow)

    code, said = in_process(ws, "go")

    assert code == 2, said
    assert f"flows/feed/flow.yml line {line}: invalid YAML: column {column} holds" in said, said


def test_a_control_character_in_hygge_yml_is_named(tmp_path):
    ws = _workspace(tmp_path, FLOW)
    (ws / "hygge.yml").write_text((ws / "hygge.yml").read_text() + "# x\x07\n")

    code, said = in_process(ws, "go")

    assert code == 2, said
    lines = (ws / "hygge.yml").read_text().count("\n")
    assert f"hygge.yml line {lines}: invalid YAML: column 4 holds the character U+0007" in said


@pytest.mark.parametrize(("char", "escape"), [("\x85", r"\x85"), ("\u2028", r"\u2028")])
def test_a_line_break_editors_do_not_show_is_refused_by_line_and_column(tmp_path, char, escape):
    ws = _workspace(tmp_path, FLOW.replace("lake}", "lake}" + char + "x"))

    code, said = in_process(ws, "go")  # said 'line 4: could not find expected ':''

    assert code == 2, said
    assert "flows/feed/flow.yml line 2: invalid YAML: column 35 holds the character" in said
    assert f"U+{ord(char):04X}, which YAML reads as a line break that editors do not" in said
    assert f'escaped: "{escape}"' in said, said
    assert not (ws / "lake").exists()

    (ws / "flows" / "feed" / "flow.yml").write_text(FLOW)  # as told: deleted
    code, said = in_process(ws, "go")
    assert code == 0, said
    assert read_lake(ws, "events").height == 2
