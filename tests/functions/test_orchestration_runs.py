"""The orchestrations replayed by the Durable SDK's own replay engine (tests/support/durable.py),
with every activity run for real against Azurite: a workspace read from blob, parquet files
from a landing container into a parquet lake container, the state in blob beside the workspace.
"""

from __future__ import annotations

import json

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
    # 1,600 rows in 3 files of ~533 rows, each batch over the 400-row budget: a chunk each,
    # the last ending the run with its source (no fourth chunk that reads nothing)
    assert outcomes["customers"]["chunks"] == 3
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


def test_fifty_entities_fan_out_under_the_cap_and_a_bad_one_fails_alone(shop):
    entities = [f"e{number:02d}" for number in range(50)]
    shop.write_workspace(entities)
    for number, entity in enumerate(entities):
        shop.land(entity, range(number * 100, number * 100 + 20))
    shop.put(shop.landing, "sales/e13/0000.parquet", b"this is not parquet")  # e13 is broken

    replay, instance = _run("hygge-run-fifty")

    summary = instance.output
    assert (summary["entities"], summary["succeeded"], summary["failed"]) == (50, 49, 1)
    assert replay.max_children_running["hygge-run-fifty"] == 4  # HYGGE_MAX_PARALLEL_ENTITIES
    children = [i for i in replay.instances if i.startswith("hygge-run-fifty:")]
    assert sorted(children) == [f"hygge-run-fifty:sales.{e}" for e in entities]
    failed = next(o for o in summary["outcomes"] if o["status"] == "fail")
    assert failed["entity"] == "e13"
    assert "e13" in failed["message"] or "parquet" in failed["message"].lower()
    for entity in ("e00", "e12", "e14", "e49"):
        assert content_hash(shop.lake_frame(entity)) == content_hash(shop.source_frame(entity))
    assert shop.lake_frame("e13").is_empty()  # the store is as before the failed run
    statuses = sorted((r["entity"], r["status"]) for r in shop.journal_rows())
    assert ("e13", "fail") in statuses and len(statuses) == 50
    assert instance.custom_status["phase"] == "done"
    assert instance.custom_status["finished"] == 50

    # Replay determinism: every instance's whole history, replayed, yields the same actions.
    for child in replay.instances.values():
        again = replay.replay(child.id)
        assert again["actions"] == child.states[-1]["actions"], child.id
        assert again["output"] == child.states[-1]["output"], child.id
        assert again["isDone"] is True


def test_a_long_entity_continues_as_new_so_its_history_stays_bounded(shop, monkeypatch):
    from hygge.functions import chains

    monkeypatch.setattr(chains, "CHUNKS_PER_EPISODE", 3)
    shop.write_workspace(["orders"], checkpoint_rows=100)
    shop.land("orders", range(1_000), files=10)  # 10 chunks of 100 rows

    replay, instance = _run("hygge-run-long")

    entity = replay.instances["hygge-run-long:sales.orders"]
    outcome = instance.output["outcomes"][0]
    assert (outcome["status"], outcome["rows"]) == ("success", 1_000)
    assert outcome["chunks"] in (10, 11)  # 10 of 100 rows (and one finding the end, maybe)
    assert entity.executions == 4  # 3 + 3 + 3 + the rest: continued as new three times
    assert outcome["episodes"] == 3
    # A history holds one execution's events: bounded by the chunks of one episode, not the run.
    assert entity.longest_history <= 2 + 3 * (3 + 3) + 12
    assert content_hash(shop.lake_frame("orders")) == content_hash(shop.source_frame("orders"))
    assert [(r["status"], r["row_count"]) for r in shop.journal_rows()] == [("success", 1_000)]


def test_a_workspace_that_does_not_load_ends_the_run_with_its_reason(shop):
    shop.put(shop.config, "shop/hygge.yml", b"name: shop\nconnections: [nope\n")

    _, instance = _run("hygge-run-broken")

    assert instance.output["entities"] == 0
    assert instance.output["message"].startswith("the run could not be planned: ")
    assert "hygge.yml" in instance.output["message"]


def test_unknown_entities_are_named_and_nothing_runs(shop):
    shop.write_workspace(["orders"])

    _, instance = _run("hygge-run-unknown", RunRequest(entities=["sales.nope"]))

    assert "nope" in instance.output["message"]
    assert shop.journal_rows() == []


def test_a_partitioned_entity_moves_each_partition_on_its_own_and_commits_once(shop):
    shop.write_workspace(["orders"], checkpoint_rows=150, extra="parallel: 3\n")
    shop.land("orders", range(1_200), files=6)

    replay, instance = _run("hygge-run-parts")

    outcome = instance.output["outcomes"][0]
    assert (outcome["status"], outcome["rows"]) == ("success", 1_200)
    moves = [c for c in replay.calls if c.name == "move_chunk"]
    partitions = {c.input["partition"] for c in moves}
    assert len(partitions - {None}) == 3  # one chain of chunks per partition
    child = replay.instances["hygge-run-parts:sales.orders"]
    anys = [
        a
        for state in child.states
        for step in state["actions"]
        for a in (step if isinstance(step, list) else [step])
        if a.get("actionType") == 11  # a task_any: the partitions' chunks and the cancel
    ]
    chunks_at_once = [
        sum(c.get("actionType") == 0 for c in a.get("compoundActions", [])) for a in anys
    ]
    assert 3 in chunks_at_once  # three chains in flight at once, whichever returns first
    assert not [a for a in anys for c in a.get("compoundActions", []) if c["actionType"] == 12]
    assert len([c for c in replay.calls if c.name == "commit"]) == 1
    assert content_hash(shop.lake_frame("orders")) == content_hash(shop.source_frame("orders"))
    assert [(r["status"], r["row_count"]) for r in shop.journal_rows()] == [("success", 1_200)]


def test_a_partitioned_entity_continues_as_new_with_every_partitions_position(shop, monkeypatch):
    from hygge.functions import chains

    # 6 chunks: 2 per partition (its 2 files of 200 rows, the last ending with its source)
    monkeypatch.setattr(chains, "CHUNKS_PER_EPISODE", 2)
    shop.write_workspace(["orders"], checkpoint_rows=100, extra="parallel: 3\n")
    shop.land("orders", range(1_200), files=6)

    replay, instance = _run("hygge-run-parts-long")

    entity = replay.instances["hygge-run-parts-long:sales.orders"]
    assert entity.executions >= 3  # continued as new, partitions still moving
    renewed = [
        a["input"]
        for state in entity.states
        for step in state["actions"]
        for a in (step if isinstance(step, list) else [step])
        if a.get("actionType") == 4
    ]
    carried = [json.loads(r)["checkpoint"]["partition_chunks"] for r in renewed]
    assert all(len(counts) == 3 for counts in carried[1:])  # every partition's count carried
    moves = [c for c in replay.calls if c.name == "move_chunk"]
    assert not [c for c in moves if c.output["redelivered"]]  # no chunk asked twice
    outcome = instance.output["outcomes"][0]
    assert (outcome["status"], outcome["rows"]) == ("success", 1_200)
    assert content_hash(shop.lake_frame("orders")) == content_hash(shop.source_frame("orders"))
    assert [(r["status"], r["row_count"]) for r in shop.journal_rows()] == [("success", 1_200)]
