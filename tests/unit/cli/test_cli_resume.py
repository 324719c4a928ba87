"""`hygge go --resume` / `--restart`, and how a resumed run reads in the output and journal."""

from __future__ import annotations

import json
import re

import polars as pl

from hygge.state.local import LocalStateBackend


def _landing_lines(project):
    return pl.read_parquet(project / "data/landing/order_lines")


def _lake(project, entity):
    return pl.read_parquet(project / "data/lake" / entity / "*.parquet")


def _checkpoints(project):
    return LocalStateBackend(project / ".hygge").list_checkpoints()


def _resume_line(name, checkpoint):
    return (
        f"resume  {name}  from its checkpoint ({checkpoint.rows:,} rows staged before it "
        f"stopped, run {checkpoint.entity_run_id[:8]})"
    )


def test_go_resume_runs_only_the_interrupted_entity_and_finishes_it_without_doubling(
    project, invoke, interrupt
):
    stopped = interrupt("sample.order_lines")
    assert 0 < stopped.rows < _landing_lines(project).height

    result = invoke("go", "--resume")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "hygge: shop: resume 1 interrupted run, concurrency 4"
    assert any(line.startswith(_resume_line("sample.order_lines", stopped)) for line in lines)
    assert "Done. 1 succeeded, 0 skipped, 0 failed" in result.stdout
    keys = ["order_id", "line_number"]
    assert _lake(project, "order_lines").sort(keys).equals(_landing_lines(project).sort(keys))
    assert not (project / "data/lake/customers").exists()  # not interrupted, so not run
    assert _checkpoints(project) == {}


def test_go_resume_with_nothing_interrupted_says_so_exits_0_and_writes_nothing(
    project, invoke, snapshot
):
    before = snapshot(project)

    result = invoke("go", "--resume")

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "Nothing to resume: no selected entity has an interrupted run."
    assert snapshot(project) == before


def test_go_resume_with_a_selection_resumes_only_the_selected_interrupted_entities(
    project, invoke, interrupt
):
    interrupt("sample.order_lines")
    customers = interrupt("sample.customers", rows=100)

    result = invoke("go", "--resume", "-e", "sample.customers")

    assert result.exit_code == 0, result.output
    assert _resume_line("sample.customers", customers) in result.stdout
    assert "order_lines" not in result.stdout
    assert list(_checkpoints(project)) == ["sample.order_lines"]


def test_go_resume_resumes_even_when_on_interrupted_is_restart(project, invoke, interrupt):
    with (project / "hygge.yml").open("a") as config:
        config.write("  on_interrupted: restart\n")
    stopped = interrupt("sample.order_lines")
    plain = invoke("go", "--dry-run", "-e", "sample.order_lines")
    assert "sample.order_lines: will restart: discards interrupted run" in plain.stdout

    result = invoke("go", "--resume")

    assert result.exit_code == 0, result.output
    assert _resume_line("sample.order_lines", stopped) in result.stdout


def test_go_resume_keeps_the_run_type_the_interrupted_run_started_with(project, invoke, interrupt):
    interrupt("sample.orders", rows=500)
    entity_file = project / "flows/sample/entities/orders.yml"
    entity_file.write_text(entity_file.read_text().replace("incremental", "full_drop"))

    result = invoke("go", "--resume")

    assert result.exit_code == 0, result.output
    assert re.search(r"resume +sample\.orders +from its checkpoint .*incremental", result.stdout)
    journal = invoke("journal", "--json", "-e", "sample.orders")
    row = json.loads(journal.stdout.splitlines()[0])
    assert (row["run_type"], row["resumed"], row["status"]) == ("incremental", 1, "success")


def test_go_restart_discards_the_interrupted_run_and_moves_the_entity_afresh(
    project, invoke, interrupt
):
    interrupt("sample.order_lines")

    result = invoke("go", "--restart")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "hygge: shop: restart 1 interrupted run, concurrency 4"
    assert re.search(r"^start +sample\.order_lines +full_drop", result.stdout, re.MULTILINE)
    assert "resume" not in result.stdout.replace("restart", "")
    assert _lake(project, "order_lines").height == _landing_lines(project).height
    row = json.loads(invoke("journal", "--json", "-n", "1").stdout)
    assert row["resumed"] == 0


def test_a_plain_go_resumes_an_interrupted_run_by_default_and_says_so(project, invoke, interrupt):
    stopped = interrupt("sample.order_lines")

    result = invoke("go")

    assert result.exit_code == 0, result.output
    assert _resume_line("sample.order_lines", stopped) in result.stdout
    assert re.search(r"start +sample\.customers", result.stdout)
    assert "resumed once, from a checkpoint" in result.stdout  # the summary table


def test_resume_and_restart_together_is_a_configuration_error(project, invoke):
    result = invoke("go", "--resume", "--restart")

    assert result.exit_code == 2
    assert "--resume and --restart cannot be used together" in result.stderr


def test_resume_with_a_run_type_flag_is_a_configuration_error(project, invoke):
    result = invoke("go", "--resume", "--full-drop")

    assert result.exit_code == 2
    assert "--resume cannot be combined with --incremental or --full-drop" in result.stderr


def test_journal_marks_a_resumed_run_and_json_carries_every_window_column(
    project, invoke, interrupt
):
    interrupt("sample.orders", rows=500)
    assert invoke("go", "--resume").exit_code == 0

    table = invoke("journal")
    row = json.loads(invoke("journal", "--json", "-n", "1").stdout)

    assert "resumed once" in table.stdout
    assert row["resumed"] == 1
    assert row["files"] == 2
    assert row["chunks"] >= 2
    assert row["watermark_column"] == "updated_at"
    assert row["watermark"] is not None
    assert {"window_from", "window_to"} <= row.keys()
