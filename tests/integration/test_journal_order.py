"""The journal's newest row of an entity is its newest event, whatever the runs' start times
(found by a hostile-user attack: a resumed success sorted below a refusal written meanwhile)."""

from __future__ import annotations

import json
import os
import socket
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from tests.support.cli import hygge, init_shop


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    return init_shop(tmp_path)


def hold_lock_as_a_live_process(shop: Path) -> Path:
    """A lock of sample.orders held by a live process on this host (this test's)."""
    lock = shop / ".hygge" / "locks" / "sample" / "orders.lock"
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    live = {"owner": "f" * 32, "host": socket.gethostname(), "pid": os.getpid()}
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text(json.dumps(live | {"acquired_at": now, "heartbeat_at": now}))
    return lock


def test_newest_journal_row_after_a_refusal_then_a_resumed_success_is_the_success(shop):
    crashed = hygge(
        shop, "go", "--entity", "sample.orders", env={"HYGGE_FAULT": "after_checkpoint:exit"}
    )
    assert crashed.returncode == 86, crashed.stdout + crashed.stderr
    lock = hold_lock_as_a_live_process(shop)
    refused = hygge(shop, "go", "--entity", "sample.orders")
    assert refused.returncode != 0 and "EntityLockedError" in refused.stdout + refused.stderr
    lock.unlink()
    resumed = hygge(shop, "go", "--entity", "sample.orders")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr

    shown = hygge(shop, "journal", "--entity", "sample.orders", "--json")
    rows = [json.loads(line) for line in shown.stdout.splitlines()]
    events = [(row["status"], row["error_type"]) for row in rows]
    assert events == [
        ("success", None),
        ("fail", "EntityLockedError"),
        ("fail", "Interrupted"),  # written by the resume, dated when the crashed run stopped
    ], shown.stdout
    journal = pl.read_parquet(str(shop / ".hygge" / "journal" / "**" / "*.parquet"))
    newest = journal.sort("finish_time").row(-1, named=True)
    assert newest["status"] == "success"
