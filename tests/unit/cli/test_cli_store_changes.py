"""A changed store shows in `hygge go`, `--dry-run` and `hygge debug` before anything moves."""

from __future__ import annotations

from pathlib import Path

NEW_STORE = "flow.sample.store.path=data/lake2"
CHANGED = (
    "sample.orders: the store changed since the last run, from 'local parquet "
    "./data/lake/orders' to 'local parquet ./data/lake2/orders'"
)


def _move_store_in_flow_file(project: Path) -> None:
    flow = project / "flows" / "sample" / "flow.yml"
    flow.write_text(flow.read_text().replace("path: data/lake", "path: data/lake2"))


def test_go_into_a_changed_store_fails_the_incremental_entity_and_says_how_to_reload(
    project, invoke
):
    assert invoke("go").exit_code == 0

    result = invoke("go", "--var", NEW_STORE)

    assert result.exit_code == 1
    assert CHANGED in result.stdout
    assert "hygge go --full-drop --entity sample.orders" in result.stdout
    assert not (project / "data" / "lake2" / "orders").exists()


def test_dry_run_shows_a_changed_store_as_a_problem(project, invoke, wide):
    assert invoke("go").exit_code == 0

    result = invoke("go", "--dry-run", "--var", NEW_STORE)

    assert result.exit_code == 1
    problems = [line for line in result.stdout.splitlines() if line.startswith("sample.orders:")]
    assert problems and problems[0].startswith(CHANGED)


def test_debug_reports_a_watermark_of_another_store(project, invoke, wide):
    assert invoke("go").exit_code == 0
    _move_store_in_flow_file(project)

    result = invoke("debug")

    assert result.exit_code == 1
    assert f"state: {CHANGED}" in result.stdout
    assert "✗ sample.orders" in result.stdout
    assert "✓ sample.customers" in result.stdout  # full_drop: a new store is simply loaded


def test_dry_run_and_debug_show_an_interrupted_run_of_another_store(
    project, invoke, interrupt, wide
):
    stopped = interrupt("sample.order_lines")
    _move_store_in_flow_file(project)

    previewed = invoke("go", "--dry-run", "-e", "sample.order_lines")
    debugged = invoke("debug")

    expected = (
        f"sample.order_lines: the store changed since run {stopped.entity_run_id[:8]} was "
        "interrupted while moving, from 'local parquet ./data/lake/order_lines' to "
        "'local parquet ./data/lake2/order_lines'"
    )
    assert previewed.exit_code == 1
    assert expected in previewed.stdout
    assert debugged.exit_code == 1
    assert f"state: {expected}" in debugged.stdout
