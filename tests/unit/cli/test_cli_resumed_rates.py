"""A run resumed after downtime: its duration and rows/s count the time spent moving only."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

DOWNTIME = timedelta(hours=2)


def _crashed_two_hours_ago(project, interrupt):
    """An interrupted run of sample.customers whose process died two hours ago."""
    stopped = interrupt("sample.customers", rows=100)
    path = project / ".hygge" / "checkpoints" / "sample" / "customers.json"
    saved = json.loads(path.read_text())
    for key in ("started_at", "saved_at"):
        if saved.get(key):
            saved[key] = (datetime.fromisoformat(saved[key]) - DOWNTIME).isoformat()
    path.write_text(json.dumps(saved))
    return stopped


def _journal(invoke):
    return [json.loads(line) for line in invoke("journal", "--json").stdout.splitlines()]


def test_a_resumed_run_journals_the_time_spent_moving_not_the_downtime(project, invoke, interrupt):
    stopped = _crashed_two_hours_ago(project, interrupt)

    result = invoke("go", "-e", "sample.customers")

    assert result.exit_code == 0, result.output
    rows = [row for row in _journal(invoke) if row["entity_run_id"] == stopped.entity_run_id]
    [success] = [row for row in rows if row["status"] == "success"]
    assert success["duration"] < 60
    started = datetime.fromisoformat(success["start_time"])
    finished = datetime.fromisoformat(success["finish_time"])
    assert finished - started > DOWNTIME  # start_time stays when the run began
    [interrupted] = [row for row in rows if row["status"] == "fail"]
    assert interrupted["duration"] < 60


def test_a_resumed_run_reports_rows_per_second_of_the_time_spent_moving(project, invoke, interrupt):
    _crashed_two_hours_ago(project, interrupt)

    result = invoke("go", "-e", "sample.customers")

    [line] = [line for line in result.stdout.splitlines() if line.startswith("success")]
    seconds = float(line.split(" rows in ")[1].split(" s ")[0])
    assert seconds < 60, line
    rate = int(line.split("(")[1].split(" rows/s")[0].replace(",", ""))
    assert rate > 10, line
