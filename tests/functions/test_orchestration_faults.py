"""Activities that die or arrive twice, replayed through the real Durable replay engine: a
move_chunk process SIGKILLed mid-chunk and redelivered resumes from its checkpoint; two
deliveries of one chunk at once move it once. Store == source (count and content hash)."""

from __future__ import annotations

import os
import signal

import pytest

from hygge.functions.contracts import RunInput
from tests.functions.app_shop import (
    activity_process,
    answer,
    content_hash,
    driver,
    in_process,
    make_shop,
    wait_stopped,
)

pytestmark = pytest.mark.azurite


@pytest.fixture
def shop(azurite, monkeypatch):
    made = make_shop(azurite.connection_string)
    for name, value in made.env().items():
        monkeypatch.setenv(name, value)
    made.write_workspace(["orders"], checkpoint_rows=600)
    made.land("orders", range(2_000), files=10)  # 200-row files: 3 files a chunk
    return made


def _first_chunk_of_orders(name, payload, seen: list[int]) -> bool:
    if name != "move_chunk" or payload["task"]["entity"] != "orders":
        return False
    seen.append(1)
    return len(seen) == 2  # its second chunk: one checkpoint saved before it


def _run(run_activity):
    run = RunInput(requested_at="2026-12-01T02:00:00Z").model_dump(mode="json")
    replay = driver(run_activity)
    instance = replay.run("run_workspace", run, "hygge-run-faults")
    assert instance.done and instance.failed is None, instance.failed
    return replay, instance.output


def test_a_chunk_killed_mid_write_is_redelivered_and_resumes_from_its_checkpoint(shop):
    seen: list[int] = []
    killed: list[int] = []
    redelivered: list[dict] = []

    def run_activity(name, payload):
        if not _first_chunk_of_orders(name, payload, seen):
            return in_process(name, payload)
        # The host's worker dies mid-chunk: a batch staged, the chunk's checkpoint not saved.
        dying = activity_process(name, payload, shop.env(), fault="after_stage:stop:1")
        wait_stopped(dying)
        os.kill(dying.pid, signal.SIGKILL)
        dying.wait()
        killed.append(dying.returncode)
        # Durable delivers the activity again, to another worker process.
        again = answer(activity_process(name, payload, shop.env()))
        redelivered.append(again)
        return again

    _, summary = _run(run_activity)

    assert killed == [-signal.SIGKILL]
    assert summary["outcomes"][0]["status"] == "success", summary["outcomes"][0]["message"]
    assert (summary["succeeded"], summary["failed"]) == (1, 0)
    assert content_hash(shop.lake_frame("orders")) == content_hash(shop.source_frame("orders"))
    assert summary["outcomes"][0]["rows"] == 2_000
    # The redelivery went on from chunk 1's checkpoint (600 rows), not from the start.
    assert redelivered[0]["checkpoint"]["rows"] == 1_200
    assert redelivered[0]["checkpoint"]["partition_chunks"] == {"all": 2}
    markers = {"sales/orders/_hygge_live.json", "sales/orders/_hygge_store.json"}
    assert {n for n in shop.names(shop.lake) if "/_" in n} == markers  # staged batch removed
    rows = shop.journal_rows()
    assert [(r["status"], r["row_count"]) for r in rows] == [("success", 2_000)]
    assert not [n for n in shop.state_names() if "/locks/" in n or "/checkpoints/" in n]


def test_one_partition_killed_mid_chunk_is_redelivered_and_the_others_go_on(shop):
    shop.write_workspace(["orders"], checkpoint_rows=150, extra="parallel: 3\n")
    killed: list[str] = []
    redelivered: list[dict] = []
    asked: list[str] = []

    def run_activity(name, payload):
        partition = payload.get("partition") if name == "move_chunk" else None
        asked.extend([partition] if partition else [])
        if partition is None or killed or len(asked) < 3:
            return in_process(name, payload)
        # The third chunk (the chains move apart now): its worker dies mid-chunk, a batch
        # staged, while the other partitions' chunks are in flight.
        dying = activity_process(name, payload, shop.env(), fault="after_stage:stop:1")
        wait_stopped(dying)
        os.kill(dying.pid, signal.SIGKILL)
        dying.wait()
        killed.append(partition)
        again = answer(activity_process(name, payload, shop.env()))
        redelivered.append(again)
        return again

    replay, summary = _run(run_activity)

    assert len(killed) == 1 and len(set(asked[:3])) > 1
    assert summary["outcomes"][0]["status"] == "success", summary["outcomes"][0]["message"]
    assert redelivered[0]["redelivered"] is False  # the killed chunk moved on redelivery
    lake = shop.lake_frame("orders")
    assert lake["id"].n_unique() == lake.height == 2_000  # nothing lost, nothing doubled
    assert content_hash(lake) == content_hash(shop.source_frame("orders"))
    moves = [c for c in replay.calls if c.name == "move_chunk"]
    assert len({c.input["partition"] for c in moves} - {None}) == 3
    # One step id per chunk of a partition (the killed one redelivered under its own id).
    assert len({c.input["step_id"] for c in moves}) == len(moves)
    assert [(r["status"], r["row_count"]) for r in shop.journal_rows()] == [("success", 2_000)]
    assert not [n for n in shop.state_names() if "/locks/" in n or "/checkpoints/" in n]


def test_two_deliveries_of_one_chunk_at_once_move_it_once(shop):
    seen: list[int] = []
    second: list[dict] = []

    def run_activity(name, payload):
        if not _first_chunk_of_orders(name, payload, seen):
            return in_process(name, payload)
        first = activity_process(name, payload, shop.env(), fault="after_stage:stop:1")
        wait_stopped(first)  # the first delivery holds the chunk, mid-write
        other = activity_process(name, payload, shop.env())  # waits for the chunk's delivery lock
        os.kill(first.pid, signal.SIGCONT)
        won = answer(first)
        second.append(answer(other))
        return won  # Durable records one completion; the other is discarded

    _, summary = _run(run_activity)

    assert second[0]["redelivered"] is True  # it found the chunk moved, and moved nothing
    assert second[0]["checkpoint"]["generation"] >= 1
    assert (summary["succeeded"], summary["failed"]) == (1, 0)
    lake = shop.lake_frame("orders")
    assert lake["id"].n_unique() == lake.height == 2_000  # nothing doubled
    assert content_hash(lake) == content_hash(shop.source_frame("orders"))
    assert [(r["status"], r["row_count"]) for r in shop.journal_rows()] == [("success", 2_000)]


def test_redelivered_begin_and_commit_repeat_nothing(shop):
    delivered: dict[str, list] = {"begin": [], "commit": []}

    def twice(name, payload):
        if name not in delivered:
            return in_process(name, payload)
        first = in_process(name, payload)
        again = in_process(name, payload)  # the host delivers it once more
        delivered[name].append((first, again))
        return again

    _, summary = _run(twice)

    ((begun, begun_again),) = delivered["begin"]
    assert begun_again["checkpoint"]["entity_run_id"] == begun["checkpoint"]["entity_run_id"]
    ((committed, committed_again),) = delivered["commit"]
    assert committed_again["redelivered"] is True
    assert committed_again["outcome"]["rows"] == committed["outcome"]["rows"] == 2_000
    assert [(r["status"], r["row_count"]) for r in shop.journal_rows()] == [("success", 2_000)]
    assert content_hash(shop.lake_frame("orders")) == content_hash(shop.source_frame("orders"))
    assert summary["succeeded"] == 1


def test_an_entity_changed_in_the_workspace_during_its_run_is_refused(shop):
    from hygge.functions.activities import begin_activity, plan_activity
    from hygge.functions.contracts import ActivityInput, PlanInput
    from hygge.functions.orchestrators import attempt_of
    from hygge.functions.session import open_session

    run = RunInput(requested_at="2026-12-01T02:00:00Z")
    plan = plan_activity(PlanInput(run_id="hygge-run-changed", run=run))
    changed = b"home: {type: parquet, path: elsewhere, connection: landing}\n"
    changed += b"store: {type: parquet, path: sales, connection: lake}\nentities: [orders]\n"
    shop.put(shop.config, "shop/flows/sales/flow.yml", changed)

    ref = plan.tasks[0]
    other_worker = open_session(fresh=True)  # a worker that reads the workspace now
    payload = ActivityInput(task=ref, instance_id="i", attempt=attempt_of("i"))
    step = begin_activity(payload, other_worker)

    assert step.failure is not None and step.checkpoint is None
    assert step.failure.category == "config"
    assert "changed while run hygge-run-changed was moving this entity" in step.failure.message
    assert shop.journal_rows() == []
