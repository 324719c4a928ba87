"""Every command that loads the workspace reports a broken one the same way: exit 2, one message."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

Invoke = Callable[..., Result]

_FLOW = """\
home: {{type: local, path: landing, format: csv{home}}}
store: {{type: local, path: lake, format: parquet{store}}}
entities: [orders]
"""

BROKEN = [
    pytest.param(
        {"flows/sales/flow.yml": "home: landing\nstore: lake\nrun_tipe: incremental\n"},
        "flows/sales/flow.yml line 3: unknown key 'run_tipe' in a flow (did you mean 'run_type'?)",
        id="unknown-key",
    ),
    pytest.param(
        {"flows/sales/flow.yml": "home: landing\nstore: [lake\n"},
        "flows/sales/flow.yml line 3: invalid YAML",
        id="bad-yaml",
    ),
    pytest.param(
        {"flows/sales/flow.yml": _FLOW.format(home=", format_options: {separatr: ';'}", store="")},
        "flows/sales/flow.yml line 1: home.format_options: unknown csv format option "
        "'separatr' (did you mean 'separator'?)",
        id="home-format-options",
    ),
    pytest.param(
        {"flows/sales/flow.yml": _FLOW.format(home="", store=", format_options: {row_groups: 9}")},
        "flows/sales/flow.yml line 2: store.format_options: unknown parquet format option "
        "'row_groups' (did you mean 'row_group_size'?)",
        id="store-format-options",
    ),
    pytest.param(
        {"flows/sales/flow.yml": _FLOW.format(home="", store=", file_pattern: '{seq}.parquet'")},
        "flows/sales/flow.yml line 2: store.file_pattern: '{seq}.parquet' has an unknown "
        "placeholder {seq}",
        id="bad-file-pattern",
    ),
    pytest.param(
        {"flows/sales/flow.yml": "home: ${LANDING_DIR}\nstore: lake\n"},
        "flows/sales/flow.yml line 1: environment variable 'LANDING_DIR' is not set",
        id="missing-variable",
    ),
]

COMMANDS = [
    pytest.param(("go",), id="go"),
    pytest.param(("go", "--dry-run"), id="go-dry-run"),
    pytest.param(("list",), id="list"),
    pytest.param(("debug",), id="debug"),
    pytest.param(("journal",), id="journal"),
    pytest.param(("reset", "-f", "sales", "--yes"), id="reset"),
]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(("files", "message"), BROKEN)
def test_a_broken_workspace_exits_2_with_the_same_message_from_every_command(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    invoke: Invoke,
    files: dict[str, str],
    message: str,
    command: tuple[str, ...],
) -> None:
    monkeypatch.delenv("LANDING_DIR", raising=False)
    (tmp_path / "hygge.yml").write_text("name: shop\n")
    (tmp_path / "landing" / "orders").mkdir(parents=True)
    (tmp_path / "landing" / "orders" / "a.csv").write_text("id\n1\n")
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    monkeypatch.chdir(tmp_path)

    result = invoke(*command)

    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    shown = " ".join(result.stderr.split())  # long lines wrap at the console's width
    assert shown.startswith(f"Configuration error: {message}"), result.stderr
    assert not (tmp_path / "lake").exists()
