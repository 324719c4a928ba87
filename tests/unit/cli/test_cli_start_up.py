"""What each command imports: a command pays only for the libraries its work needs.

`hygge --help`, `--version`, `list` and `schema` move no data, so they import no data library;
`hygge go` imports the modules of the kinds its homes and stores use and no others. What is
asserted is the set of imported modules, never a time (start-up is measured by `make bench`).
"""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from hygge.cli.app import app
from hygge.cli.commands import COMMANDS, CommandEntry, command_function
from tests.support.cli import init_shop

DATA_LIBRARIES = (
    "polars",
    "pyarrow",
    "deltalake",
    "duckdb",
    "azure",
    "psycopg",
    "adbc_driver_manager",
)

# Runs the command line in this interpreter and writes the names in sys.modules on the way out.
_RUN_AND_LIST_MODULES = """
import json, os, sys
sys.argv = ["hygge", *sys.argv[1:]]
from hygge.cli.app import main
try:
    main()
finally:
    with open(os.environ["MODULES_OUT"], "w", encoding="utf-8") as out:
        json.dump(sorted(sys.modules), out)
"""


def imported_by(cwd: Path, *args: str) -> set[str]:
    """The modules imported by `hygge *args` run in `cwd`; the command must succeed."""
    out = cwd.parent / "modules.json"
    env = {**os.environ, "MODULES_OUT": str(out), "COLUMNS": "200"}
    done = subprocess.run(
        [sys.executable, "-c", _RUN_AND_LIST_MODULES, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return set(json.loads(out.read_text(encoding="utf-8")))


def loaded(modules: set[str], *packages: str) -> list[str]:
    """The `packages` of which `modules` holds the package itself or a submodule."""
    return [p for p in packages if any(m == p or m.startswith(f"{p}.") for m in modules)]


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return init_shop(tmp_path_factory.mktemp("start-up"))


@pytest.mark.parametrize(
    "args", [("--help",), ("--version",), ("list",), ("schema",)], ids=lambda a: a[0]
)
def test_a_command_that_moves_no_data_imports_no_data_library(shop, args):
    assert loaded(imported_by(shop, *args), *DATA_LIBRARIES) == []


# The behaviour modules of each kind: `list` validates configs and opens no home or store.
BEHAVIOUR = (
    "hygge.homes.file_home",
    "hygge.homes.scans",
    "hygge.homes.sql.home",
    "hygge.homes.sql.drivers",
    "hygge.stores.file_store",
    "hygge.stores.file_sink",
    "hygge.stores.duckdb_store",
    "hygge.stores.duckdb_database",
    "hygge.stores.duckdb_owners",
    "hygge.stores.duckdb_records",
    "hygge.stores.delta.store",
    "hygge.stores.open_mirroring.store",
    "hygge.stores.sql.store",
    "hygge.engine",
)


def test_list_imports_the_configs_of_the_kinds_used_and_no_home_or_store_behaviour(tmp_path):
    workspace = tmp_path / "ddb"
    (workspace / "flows" / "lake").mkdir(parents=True)
    (workspace / "hygge.yml").write_text("name: ddb\n", encoding="utf-8")
    (workspace / "flows" / "lake" / "flow.yml").write_text(
        "home: {type: parquet, path: land}\nstore: {type: duckdb, path: lake.duckdb}\n",
        encoding="utf-8",
    )

    modules = imported_by(workspace, "list")

    assert {"hygge.homes.files", "hygge.stores.duckdb_config"} <= modules
    other_kinds = ("hygge.homes.sql", "hygge.stores.sql", "hygge.stores.delta")
    assert loaded(modules, *other_kinds, "hygge.stores.open_mirroring") == []
    assert loaded(modules, "hygge.stores.azure_files", *BEHAVIOUR) == []


# Runs `hygge list` in this interpreter and prints whether a position validator was built.
_LIST_AND_REPORT_POSITIONS = """
import sys
sys.argv = ["hygge", "list"]
from hygge.cli.app import main
try:
    main()
finally:
    from hygge.homes import positions
    built = [positions.POSITION.pydantic_complete, positions.FilePosition.__pydantic_complete__]
    sys.stderr.write(f"POSITIONS BUILT {built}\\n")
"""


def test_list_builds_no_position_validator(shop):
    done = subprocess.run(
        [sys.executable, "-c", _LIST_AND_REPORT_POSITIONS],
        cwd=shop,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "POSITIONS BUILT [False, False]" in done.stderr


@pytest.mark.parametrize("args", [("--help",), ("--version",)], ids=lambda a: a[0])
def test_help_and_version_import_no_command_and_no_config_model(shop, args):
    modules = imported_by(shop, *args)

    assert loaded(modules, "pydantic", "yaml", "hygge.config", "hygge.engine", "hygge.state") == []
    cli_modules = {m for m in modules if m.startswith("hygge.cli.") and m != "hygge.cli.app"}
    assert cli_modules - {"hygge.cli.group_help"} == {"hygge.cli.commands", "hygge.cli.collection"}


def test_help_imports_no_markdown_syntax_or_traceback_module(shop):
    modules = imported_by(shop, "--help")

    heavy = ("typer.rich_utils", "rich.markdown", "rich.syntax", "rich.traceback", "markdown_it")
    assert loaded(modules, *heavy, "pygments") == []


def parquet_workspace(root: Path) -> Path:
    """One flow moving one one-row parquet entity into a parquet store."""
    (root / "flows" / "lake" / "entities").mkdir(parents=True)
    (root / "land" / "t").mkdir(parents=True)
    (root / "hygge.yml").write_text("name: p2p\n", encoding="utf-8")
    (root / "flows" / "lake" / "flow.yml").write_text(
        "home: {type: parquet, path: land}\nstore: {type: parquet, path: lake}\n",
        encoding="utf-8",
    )
    (root / "flows" / "lake" / "entities" / "t.yml").write_text("name: t\n", encoding="utf-8")
    pl.DataFrame({"id": [1]}).write_parquet(root / "land" / "t" / "part-0.parquet")
    return root


def test_go_on_parquet_files_imports_no_module_of_a_kind_it_does_not_use(tmp_path):
    workspace = parquet_workspace(tmp_path / "p2p")

    modules = imported_by(workspace, "go")

    assert (workspace / "lake" / "t").is_dir()
    other_kinds = ("deltalake", "duckdb", "azure", "psycopg", "pyodbc", "sqlglot", "sqlite3")
    assert loaded(modules, *other_kinds, "adbc_driver_manager") == []
    assert loaded(modules, "pyarrow") == []  # polars reads, counts, writes and encodes schemas
    other_commands = [f"hygge.cli.{m}" for m in ("journal", "reset", "unlock", "debug", "init")]
    assert loaded(modules, "hygge.storage.memory", "hygge.cli.schema", *other_commands) == []
    assert loaded(modules, "hygge.stores.open_mirroring.journal") == []  # no store mirrors it
    assert imported_under(modules, *OTHER_KINDS_MODULES) == []


# hygge's modules of the kinds a files → files run does not use (names starting so).
OTHER_KINDS_MODULES = (
    "hygge.connections.sql",
    "hygge.homes.sql",
    "hygge.stores.sql",
    "hygge.stores.duckdb",
    "hygge.stores.delta",
    "hygge.stores.open_mirroring",
    "hygge.stores.azure",
    "hygge.storage.blob",
    "hygge.state.blob",
    "hygge.functions",
    "hygge.config.schema",
    "hygge.config.publish",
)


def imported_under(modules: set[str], *prefixes: str) -> list[str]:
    """The `modules` whose names start with one of `prefixes` (`hygge.stores.azure` finds
    `hygge.stores.azure_files`)."""
    return sorted(m for m in modules if m.startswith(prefixes))


def test_go_of_a_workspace_whose_connections_are_not_sql_imports_no_sql_module(tmp_path):
    workspace = parquet_workspace(tmp_path / "p2p")
    (workspace / "hygge.yml").write_text(
        "name: p2p\nconnections:\n  files: {type: local, root: .}\n",
        encoding="utf-8",
    )

    modules = imported_by(workspace, "go")

    assert (workspace / "lake" / "t").is_dir()
    assert imported_under(modules, "hygge.connections.sql", "hygge.homes.sql") == []


def test_go_into_a_pipe_imports_neither_the_live_display_nor_the_dry_run_preview(tmp_path):
    workspace = parquet_workspace(tmp_path / "p2p")

    modules = imported_by(workspace, "go")  # its output is captured: no terminal

    assert (workspace / "lake" / "t").is_dir()
    assert loaded(modules, "rich.progress", "rich.live", "hygge.engine.preview") == []


def test_a_go_that_succeeds_imports_neither_the_error_explainer_nor_the_emoji_codes(tmp_path):
    workspace = parquet_workspace(tmp_path / "p2p")

    modules = imported_by(workspace, "go")

    assert (workspace / "lake" / "t").is_dir()
    # a ValidationError's explainer loads with the error; hygge's consoles print no emoji codes
    assert loaded(modules, "hygge.config.explain", "rich._emoji_codes") == []


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_summary_help_lists_is_the_first_paragraph_of_the_commands_docstring(name):
    doc = inspect.getdoc(command_function(name)) or ""

    assert COMMANDS[name].summary == " ".join(doc.split("\n\n")[0].split())


def test_ctrl_c_while_a_command_is_imported_exits_130_with_one_line(tmp_path, monkeypatch):
    (tmp_path / "interrupted_command.py").write_text("raise KeyboardInterrupt\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(COMMANDS, "go", CommandEntry("interrupted_command", "go", "Move data."))

    result = CliRunner().invoke(app, ["go"])

    assert result.exit_code == 130
    assert result.stderr == "hygge: interrupted while starting; nothing was done\n"
