"""Session 27: hostile entity and flow names through `hygge go` — non-ASCII letters, paths,
shell words, hidden and reserved names. Each is refused before anything is read or written,
naming the rule truthfully (ø and é are letters, but not the ASCII ones hygge accepts), and
no folder appears outside the workspace."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import in_process
from tests.support.workspace import write_workspace

FLOW = """\
home: {type: local, path: landing, format: csv}
store: {type: parquet, path: lake}
entities:
  - name: %s
"""


def _go(ws: Path) -> tuple[int, str]:
    return in_process(ws, "go")


@pytest.mark.parametrize(
    "name",
    ["'ørders'", "'é'", "'\uff21\uff22'", "'emoji😀'", "'a b'", "'a.b'", "'x:y'", "'-rf'",
     "'$HOME'", "'a\\b'", "\"a'b\"", "'a/b'"],
)  # fmt: skip
def test_a_name_of_other_characters_is_refused_naming_the_ascii_rule(tmp_path, name):
    ws = write_workspace(tmp_path / "ws", {"feed": FLOW % name})
    before = sorted(p.name for p in tmp_path.iterdir())

    code, said = _go(ws)

    assert code == 2, said
    assert "flows/feed/flow.yml line 4: invalid entity name" in said, said
    assert "use ASCII letters (A-Z, a-z), digits, '_' and '-'" in said, said
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert not (ws / "lake").exists() and not (ws / ".hygge").exists()


@pytest.mark.parametrize("name", ["'../x'", "'.hidden'", "'_hygge_staging'", "'..'"])
def test_a_path_like_or_reserved_name_is_refused_before_anything_is_written(tmp_path, name):
    ws = write_workspace(tmp_path / "ws", {"feed": FLOW % name})
    before = sorted(p.name for p in tmp_path.iterdir())

    code, said = _go(ws)

    assert code == 2, said
    assert "are reserved" in said, said
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert not (ws / "lake").exists()


def test_a_flow_folder_with_a_non_ascii_name_is_refused_naming_the_ascii_rule(tmp_path):
    ws = write_workspace(tmp_path / "ws", {"ørders": FLOW % "orders"})

    code, said = _go(ws)

    assert code == 2, said
    assert "invalid flow name 'ørders': use ASCII letters (A-Z, a-z)" in said, said
