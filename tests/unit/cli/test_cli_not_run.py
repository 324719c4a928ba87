"""Entities a run never started (an earlier failure stopped it) get a `not_run` journal row."""

from __future__ import annotations

import json
import shutil


def _fail_the_first_entity(project):
    """customers (the first entity) fails, and a failure stops the entities not yet started."""
    shutil.rmtree(project / "data" / "landing" / "customers")
    config = project / "hygge.yml"
    config.write_text(
        config.read_text().replace("continue_on_error: true", "continue_on_error: false")
    )


def test_entities_not_started_after_a_failure_are_journaled_as_not_run(project, invoke):
    _fail_the_first_entity(project)

    result = invoke("go", "-c", "1")

    assert result.exit_code == 1, result.output
    rows = [json.loads(line) for line in invoke("journal", "--json").stdout.splitlines()]
    statuses = {row["entity"]: row["status"] for row in rows}
    assert statuses == {"customers": "fail", "order_lines": "not_run", "orders": "not_run"}
    not_run = [row for row in rows if row["status"] == "not_run"]
    for row in not_run:
        assert row["message"] == (
            "not started: an earlier entity failed and options.continue_on_error is false"
        )
        assert row["row_count"] == 0
        assert row["flow"] == "sample"
    assert len({row["entity_run_id"] for row in rows}) == 3


def test_hygge_journal_shows_not_run_entities(project, invoke, wide):
    _fail_the_first_entity(project)
    invoke("go", "-c", "1")

    result = invoke("journal")

    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if "not_run" in line]
    assert len(lines) == 2, result.stdout
    assert all("not started: an earlier entity failed" in line for line in lines)


def test_not_run_rows_are_written_once_per_run(project, invoke):
    _fail_the_first_entity(project)
    invoke("go", "-c", "1")
    invoke("go", "-c", "1")

    rows = [json.loads(line) for line in invoke("journal", "--json").stdout.splitlines()]

    assert [row["status"] for row in rows].count("not_run") == 4
