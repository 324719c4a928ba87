"""The orchestrations replayed by the Durable SDK's own replay engine (tests/support/durable.py),
with every activity run for real against Azurite: a workspace read from blob, parquet files
from a landing container into a parquet lake container, the state in blob beside the workspace.
"""

from __future__ import annotations

import pytest

from hygge.functions.contracts import RunInput, RunRequest
from tests.functions.app_shop import content_hash, driver, make_shop

pytestmark = pytest.mark.azurite

STARTED = "2026-12-01T02:00:00Z"


@pytest.fixture
def shop(azurite, monkeypatch):
    made = make_shop(azurite.connection_string)
    for name, value in made.env().items():
        monkeypatch.setenv(name, value)
    return made


def _run(instance_id: str, request: RunRequest | None = None, **options):
    run = RunInput(request=request or RunRequest(), trigger="http", requested_at=STARTED)
    replay = driver(**options)
    instance = replay.run("run_workspace", run.model_dump(mode="json"), instance_id)
    assert instance.done and instance.failed is None, instance.failed
    return replay, instance


def test_a_run_moves_every_entity_in_chunks_and_store_equals_source(shop):
    entities = ["orders", "lines", "customers"]
    shop.write_workspace(entities, checkpoint_rows=400)
    for number, entity in enumerate(entities):
        shop.land(entity, range(number * 10_000, number * 10_000 + 1_000 + 300 * number), files=3)

    replay, instance = _run("hygge-run-first")

    summary = instance.output
    assert (summary["entities"], summary["succeeded"], summary["failed"]) == (3, 3, 0)
    for entity in entities:
        assert content_hash(shop.lake_frame(entity)) == content_hash(shop.source_frame(entity))
    outcomes = {o["entity"]: o for o in summary["outcomes"]}
    assert outcomes["customers"]["rows"] == 1_600
    assert outcomes["customers"]["chunks"] >= 4  # 1,600 rows at 400 rows a chunk
    moved = [c for c in replay.calls if c.name == "move_chunk"]
    assert len(moved) == sum(o["chunks"] for o in summary["outcomes"])
    rows = shop.journal_rows()
    assert sorted((r["entity"], r["status"], r["row_count"]) for r in rows) == [
        ("customers", "success", 1_600),
        ("lines", "success", 1_300),
        ("orders", "success", 1_000),
    ]
    assert {r["coordinator_run_id"] for r in rows} == {summary["coordinator_run_id"]}
    assert not [n for n in shop.state_names() if "/locks/" in n or "/checkpoints/" in n]
