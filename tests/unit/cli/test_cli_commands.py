"""`hygge list`, `journal`, `schema`, `debug`, `--version` and `--help`."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta

from hygge.cli.commands import COMMANDS
from hygge.state.base import LockInfo
from hygge.state.local import LocalStateBackend


def test_version_prints_the_program_name(invoke):
    result = invoke("--version")

    assert result.exit_code == 0
    assert result.stdout.startswith("hygge ")


def test_help_lists_every_command_with_examples(invoke):
    result = invoke("--help")

    assert result.exit_code == 0
    for command in ("init", "go", "list", "journal", "debug", "schema"):
        assert command in result.stdout
    assert "hygge go -f sales -e crm.users" in result.stdout


def test_help_shows_usage_every_command_summary_and_option(invoke, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")

    result = invoke("--help")

    assert "Usage: hygge [OPTIONS] COMMAND [ARGS]..." in result.stdout
    rows = [" ".join(line.strip(" │").split()) for line in result.stdout.splitlines()]
    for name, entry in COMMANDS.items():
        assert f"{name} {entry.summary}" in rows
    assert "--version Print the version and exit." in rows
    assert "--help -h Show this message and exit." in rows


def test_list_shows_each_entity_with_home_store_run_type_and_watermark(project, invoke):
    result = invoke("list")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    orders = next(line for line in lines if " orders " in line)
    assert "local data/landing/orders → parquet data/lake/orders" in orders
    assert "incremental" in orders
    assert "updated_at" in orders
    assert "Watermark" in result.stdout
    assert "1 flow, 3 entities" in result.stdout


def test_list_says_an_incremental_file_publish_becomes_visible_file_by_file(project, invoke):
    result = invoke("list")

    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert (
        "sample.orders: a reader of the parquet store can see part of an incremental publish "
        "while it runs: its files are moved in one by one (published whole: full_drop)"
    ) in text


def test_journal_before_any_run_says_so_and_where_the_journal_lives(project, invoke):
    result = invoke("journal")

    assert result.exit_code == 0, result.output
    assert "No runs in the journal yet" in result.stdout
    assert "Journal: .hygge/journal/**/*.parquet" in result.stdout


def test_journal_lists_runs_newest_first_with_status_rows_and_window(project, invoke):
    assert invoke("go", "-e", "sample.orders").exit_code == 0
    assert invoke("go", "-e", "sample.customers").exit_code == 0

    result = invoke("journal")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    customers = next(i for i, line in enumerate(lines) if "sample.customers" in line)
    orders = next(i for i, line in enumerate(lines) if "sample.orders" in line)
    assert customers < orders
    assert "success" in lines[orders]
    assert "incremental" in lines[orders]


def test_journal_json_prints_one_parsable_object_per_run_filtered_and_limited(project, invoke):
    assert invoke("go").exit_code == 0

    result = invoke("journal", "--json", "-e", "sample.orders", "-n", "2")

    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 1
    assert rows[0]["entity"] == "orders"
    assert rows[0]["status"] == "success"
    assert rows[0]["row_count"] > 0
    assert rows[0]["run_type"] == "incremental"


def test_journal_flow_and_entity_filters_together_show_runs_matching_either(project, invoke):
    (project / "flows" / "extra").mkdir()
    (project / "flows" / "extra" / "flow.yml").write_text(
        "home: {type: local, path: data/landing, format: csv}\n"
        "store: data/extra\n"
        "entities: [customers, orders]\n"
    )
    assert invoke("go").exit_code == 0

    result = invoke("journal", "--json", "-f", "extra", "-e", "sample.orders", "-n", "10")

    rows = [json.loads(line) for line in result.stdout.splitlines()]
    names = sorted(f"{row['flow']}.{row['entity']}" for row in rows)
    assert names == ["extra.customers", "extra.orders", "sample.orders"]
    finishes = [row["finish_time"] for row in rows]
    assert finishes == sorted(finishes, reverse=True)


def test_schema_prints_the_json_schema_of_the_chosen_file(project, invoke):
    result = invoke("schema", "flow")

    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    assert "home" in json.dumps(schema)


def test_schema_output_writes_all_three_schema_files(tmp_path, invoke):
    result = invoke("schema", "--output", str(tmp_path / "schemas"))

    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in (tmp_path / "schemas").iterdir())
    assert written == ["entity.schema.json", "flow.schema.json", "project.schema.json"]
    for name in written:
        json.loads((tmp_path / "schemas" / name).read_text())


def test_debug_on_a_healthy_project_checks_everything_and_exits_0(project, invoke, snapshot):
    before = snapshot(project)

    result = invoke("debug")

    assert result.exit_code == 0, result.output
    assert f"Root       {project}" in result.stdout
    assert "sample  (flows/sample/flow.yml): customers" in result.stdout
    assert result.stdout.count("✓ sample.") == 3
    assert "is writable" in result.stdout
    assert "All checks passed." in result.stdout
    assert snapshot(project) == before


def test_debug_reports_a_missing_home_and_exits_1(project, invoke):
    (project / "flows/sample/flow.yml").write_text(
        (project / "flows/sample/flow.yml").read_text().replace("data/landing", "data/nowhere")
    )

    result = invoke("debug")

    assert result.exit_code == 1
    assert "✗ sample.customers" in result.stdout
    assert "problems found" in result.stdout


def test_debug_reports_a_configuration_error_with_exit_2(project, invoke):
    (project / "flows/sample/flow.yml").write_text("home: {type: parqet, path: x}\nstore: y\n")

    result = invoke("debug")

    assert result.exit_code == 2
    assert result.stderr.startswith("Configuration error: ")


def test_debug_reports_held_locks_and_interrupted_runs_as_notes(project, invoke, interrupt):
    state = LocalStateBackend(project / ".hygge")
    old = datetime.now(UTC) - timedelta(hours=2)
    lock = LockInfo(
        owner="run1", host="elsewhere", pid=os.getpid(), acquired_at=old, heartbeat_at=old
    )
    state.lock_path("sample", "orders").parent.mkdir(parents=True)
    state.lock_path("sample", "orders").write_text(lock.model_dump_json())
    stopped = interrupt("sample.customers", rows=100)

    result = invoke("debug")

    assert result.exit_code == 0, result.output
    assert "sample.orders is locked: run run1" in result.stdout
    assert "stale" in result.stdout
    assert f"sample.customers has an unfinished run ({stopped.rows:,} rows staged" in result.stdout
