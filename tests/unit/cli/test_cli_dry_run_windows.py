"""`hygge go --dry-run`: each entity's window, and what happens to an interrupted run."""

from __future__ import annotations

import polars as pl

from hygge.cli.sample_data import write_sample_landing
from hygge.engine.preview import compact
from hygge.state.local import LocalStateBackend


def _row_of(stdout, name):
    return next(line for line in stdout.splitlines() if line.startswith(f"│ {name} "))


def test_a_first_incremental_dry_run_reads_every_file_from_the_start(project, invoke, wide):
    result = invoke("go", "--dry-run")

    assert result.exit_code == 0, result.output
    assert "2 new files; updated_at: from the start" in _row_of(result.stdout, "sample.orders")
    assert "2 files; 4,972 rows" in _row_of(result.stdout, "sample.order_lines")


def test_after_a_run_the_dry_run_shows_only_new_files_after_the_watermark(project, invoke, wide):
    assert invoke("go").exit_code == 0
    last = compact(str(pl.read_parquet(project / "data/lake/orders/*.parquet")["updated_at"].max()))
    landing = project / "data" / "landing"
    present = len(list((landing / "orders").iterdir()))
    write_sample_landing(landing, rows=100, start=2_000)
    new = len(list((landing / "orders").iterdir())) - present

    result = invoke("go", "--dry-run", "-e", "sample.orders")

    assert result.exit_code == 0, result.output
    row = _row_of(result.stdout, "sample.orders")
    assert f"{new} new files; updated_at: after {last}" in row


def test_with_nothing_new_the_dry_run_says_no_new_files(project, invoke, wide):
    assert invoke("go").exit_code == 0

    result = invoke("go", "--dry-run", "-e", "sample.orders")

    assert "no new files; updated_at: after 2024-" in _row_of(result.stdout, "sample.orders")


def test_dry_run_says_an_interrupted_run_will_resume_at_its_rows(
    project, invoke, interrupt, snapshot
):
    stopped = interrupt("sample.order_lines")
    before = snapshot(project)

    result = invoke("go", "--dry-run")

    assert result.exit_code == 0, result.output
    assert (
        f"sample.order_lines: will resume interrupted run {stopped.entity_run_id[:8]} "
        f"at {stopped.rows:,} rows"
    ) in result.stdout
    assert snapshot(project) == before


def test_dry_run_with_restart_says_the_interrupted_run_will_be_discarded(
    project, invoke, interrupt
):
    stopped = interrupt("sample.customers", rows=100)

    result = invoke("go", "--dry-run", "--restart")

    assert result.exit_code == 0, result.output
    assert (
        f"sample.customers: will restart: discards interrupted run {stopped.entity_run_id[:8]} "
        f"({stopped.rows:,} rows staged; on_interrupted: restart)"
    ) in result.stdout
    assert "sample.orders" not in result.stdout  # --restart narrows to interrupted runs


def test_dry_run_says_a_run_type_change_restarts_the_interrupted_run(project, invoke, interrupt):
    interrupt("sample.orders", rows=500)

    result = invoke("go", "--dry-run", "--full-drop", "-e", "sample.orders")

    assert "will restart: discards interrupted run" in result.stdout
    assert "it was incremental, this run is full_drop" in result.stdout


def test_dry_run_says_a_run_interrupted_while_publishing_will_be_finished(
    project, invoke, interrupt
):
    stopped = interrupt("sample.customers", rows=100, phase="publishing")

    result = invoke("go", "--dry-run", "-e", "sample.customers")

    assert f"will finish publishing interrupted run {stopped.entity_run_id[:8]}" in result.stdout


def test_dry_run_reports_an_unreadable_checkpoint_and_how_to_start_over(project, invoke):
    state = LocalStateBackend(project / ".hygge")
    state.save_checkpoint("sample", "customers", {"rows": "many"})

    result = invoke("go", "--dry-run")

    assert result.exit_code == 1
    flowing = " ".join(result.stdout.split())  # lines may wrap at the console width
    assert "the saved checkpoint of sample.customers (" in flowing
    assert "is damaged" in flowing
    assert "hygge reset --flow sample --entity customers" in result.stdout
