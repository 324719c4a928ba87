"""Session 28: workspace YAML composed by libyaml (session 27), attacked from the CLI. A control
character in a file (a BEL or NUL pasted with a value) stopped `hygge go` with 'unexpected
ReaderError ... position 82', naming neither the file nor its line; it names file, line, column
and the character now. Tabs libyaml accepts where YAML allows them (after a colon, before a
comment, inside braces; the Python parser refused them) load what the same file with spaces
loads; a tab as indentation, duplicate keys and `type: ~` keep their errors and lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from hygge.config import yaml_file
from tests.support.cli import in_process
from tests.support.workspace import read_lake, write_workspace

FLOW = """\
home: {type: local, path: landing, format: csv}
store: {type: parquet, path: lake}
entities: [events]
"""


def _workspace(tmp_path: Path, flow: str) -> Path:
    ws = write_workspace(tmp_path / "ws", {"feed": FLOW})
    (ws / "flows" / "feed" / "flow.yml").write_text(flow)
    (ws / "landing" / "events").mkdir(parents=True)
    (ws / "landing" / "events" / "a.csv").write_bytes(b"id,name\n1,a\n2,b\n")
    return ws


@pytest.mark.parametrize(
    ("char", "escape"),
    [("\x07", r"\x07"), ("\x00", r"\x00"), ("\x7f", r"\x7f"), ("\ufffe", r"\ufffe")],
)
def test_a_control_character_is_named_by_file_line_and_column(tmp_path, char, escape):
    flow = FLOW.replace("lake}", "lake}" + char)
    ws = _workspace(tmp_path, flow)

    code, said = in_process(ws, "go")

    assert code != 0, said
    assert "ReaderError" not in said and "unexpected" not in said, said
    assert "flows/feed/flow.yml line 2: invalid YAML: column 35 holds the character" in said, said
    assert f"U+{ord(char):04X}" in said, said
    assert f'escaped: "{escape}"' in said, said
    assert not (ws / "lake").exists()


@pytest.mark.parametrize(
    "flow",
    [
        FLOW.replace("store: ", "store:\t"),
        FLOW.replace("{type: local", "{type:\tlocal"),
        FLOW.replace("[events]", "[events]\t# the one entity"),
        FLOW.replace("[events]", "[events]\t"),
    ],
    ids=["after-colon", "in-braces", "before-comment", "trailing"],
)
def test_a_tab_where_yaml_allows_spacing_loads_what_spaces_load(tmp_path, flow):
    assert yaml_file.parse_yaml(flow, "f.yml").data == yaml_file.parse_yaml(FLOW, "f.yml").data
    ws = _workspace(tmp_path, flow)

    code, said = in_process(ws, "go")

    assert code == 0, said
    assert read_lake(ws, "events").height == 2


def test_a_tab_as_indentation_is_refused_naming_its_line(tmp_path):
    ws = _workspace(tmp_path, "home:\n\ttype: local\nstore: {type: parquet, path: lake}\n")

    code, said = in_process(ws, "go")

    assert code != 0, said
    assert "flows/feed/flow.yml line 2: invalid YAML: found character '\\t'" in said, said


def test_a_duplicate_key_is_refused_naming_both_lines(tmp_path):
    ws = _workspace(tmp_path, FLOW + "store: {type: parquet, path: other}\n")

    code, said = in_process(ws, "go")

    assert code != 0, said
    assert "flows/feed/flow.yml line 4: duplicate key 'store' (first given at line 2)" in said


def test_an_empty_store_type_names_its_line(tmp_path):
    ws = _workspace(tmp_path, FLOW.replace("{type: parquet, path: lake}", "{type: ~, path: lake}"))

    code, said = in_process(ws, "go")

    assert code != 0, said
    assert "flows/feed/flow.yml line 2" in said and "parquet" in said, said
    assert "'None'" not in said, said
