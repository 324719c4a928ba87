"""A partitioned entity's chains of chunks, replayed by the Durable SDK's replay engine with
stub activities (tests/support/stub_activities.py): each partition advances on its own, a
slow partition holds no other back, continue_as_new carries every partition's position, and
a cancel stops every chain at a chunk boundary."""

from __future__ import annotations

import json

from hygge.functions import orchestration, orchestrators
from hygge.functions.contracts import RunInput
from tests.support.durable import WHEN_ALL, WHEN_ANY, Call, ReplayDriver, blueprint_handles
from tests.support.stub_activities import StubActivities

RUN = RunInput(requested_at="2026-12-01T02:00:00Z").model_dump(mode="json")
SKEWED = {"p0": 30, "p1": 2, "p2": 2}  # p0 has 15x the chunks of the others
CHILD = "hygge-run-p:shop.e0000"


def _driver(stub: StubActivities, **options) -> ReplayDriver:
    return ReplayDriver(
        blueprint_handles(orchestration, orchestration.ORCHESTRATORS), stub, **options
    )


def _moves(replay: ReplayDriver) -> list[Call]:
    return [c for c in replay.calls if c.name == "move_chunk"]


def _partition(call: Call) -> str:
    return str(call.input["partition"])


def _slow(partitions: set[str], rounds: int):
    """Chunks of `partitions` take `rounds` driver rounds to return; the others one."""

    def hold(call: Call) -> int:
        return rounds if call.name == "move_chunk" and _partition(call) in partitions else 0

    return hold


def _compound_kinds(states: list[dict]) -> list[tuple[int, int]]:
    """(action type, how many move_chunk leaves) of every compound action the entity asked."""
    found = []

    def walk(action):
        if isinstance(action, list):
            for each in action:
                walk(each)
        elif action.get("actionType") in (WHEN_ANY, WHEN_ALL):
            inner = action.get("compoundActions") or []
            found.append((action["actionType"], sum(a.get("actionType") == 0 for a in inner)))
            for each in inner:
                walk(each)

    for state in states:
        walk(state.get("actions") or [])
    return found


def test_skewed_partitions_advance_on_their_own_and_commit_once():
    stub = StubActivities(entities=1, partitions=SKEWED)
    replay = _driver(stub, hold=_slow({"p1", "p2"}, rounds=6))

    run = replay.run("run_workspace", RUN, "hygge-run-p")

    outcome = run.output["outcomes"][0]
    assert (outcome["status"], outcome["rows"]) == ("success", 34 * stub.rows_per_chunk)
    moves = _moves(replay)
    assert {p: sum(_partition(c) == p for c in moves) for p in SKEWED} == SKEWED
    assert not any(c.output["redelivered"] for c in moves)  # no chunk asked twice
    # While p1's first (slow) chunk was away, p0 moved chunk after chunk: no lock-step.
    p1 = [i for i, c in enumerate(moves) if _partition(c) == "p1"]
    assert sum(_partition(c) == "p0" for c in moves[p1[0] : p1[1]]) >= 5
    kinds = _compound_kinds(replay.instances[CHILD].states)
    assert WHEN_ALL not in {kind for kind, _ in kinds}  # no round waits for all
    assert (WHEN_ANY, 3) in kinds  # the three partitions' chunks, whichever returns first
    assert len([c for c in replay.calls if c.name == "commit"]) == 1


def test_continue_as_new_carries_every_partitions_position():
    stub = StubActivities(entities=1, partitions=SKEWED)
    replay = _driver(stub, hold=_slow({"p1", "p2"}, rounds=8))

    replay.run("run_workspace", RUN, "hygge-run-p")

    child = replay.instances[CHILD]
    assert child.executions == 2  # 34 chunks, at most CHUNKS_PER_EPISODE an execution
    renewed = [
        json.loads(a["input"]) if isinstance(a["input"], str) else a["input"]
        for state in child.states
        for a in _leaves(state.get("actions") or [])
        if a.get("actionType") == 4  # ContinueAsNew
    ]
    (carried,) = renewed
    counts = carried["checkpoint"]["partition_chunks"]
    assert set(counts) == set(SKEWED)
    assert sum(counts.values()) == orchestrators.CHUNKS_PER_EPISODE  # every chunk accounted
    # Each partition's chunks are asked in order, 0..n-1, over both executions, none twice.
    for partition, chunks in SKEWED.items():
        asked = [
            c.input["checkpoint"]["partition_chunks"].get(partition, 0)
            for c in _moves(replay)
            if _partition(c) == partition
        ]
        assert asked == list(range(chunks))
    assert child.longest_history < 4 * orchestrators.CHUNKS_PER_EPISODE + 20
    assert replay.replay(CHILD)["actions"] == child.states[-1]["actions"]  # deterministic


def test_step_ids_differ_per_chunk_and_stay_with_the_call():
    stub = StubActivities(entities=1, partitions=SKEWED)
    replay = _driver(stub)

    replay.run("run_workspace", RUN, "hygge-run-p")

    steps = [c.input["step_id"] for c in replay.calls if c.name not in {"plan", "summary"}]
    assert len(steps) == len(set(steps))  # begin, 34 chunks, commit: no two share one
    moves = _moves(replay)
    first = moves[0].input
    ref = orchestrators.CheckpointRef.model_validate(first["checkpoint"])
    again = orchestrators.step_id_of(CHILD, "move_chunk", ref, first["partition"], 0)
    assert again == first["step_id"]  # a redelivery of that call carries the same id
    assert all(c.input["attempt"] == orchestrators.attempt_of(CHILD) for c in moves)


def test_a_cancel_stops_every_chain_at_a_chunk_boundary_and_commits_nothing():
    stub = StubActivities(entities=1, partitions=SKEWED)
    told: list[int] = []

    def cancel_mid_run(replay: ReplayDriver, instance) -> None:
        if instance.id == CHILD and not told and len(_moves(replay)) >= 6:
            told.append(len(replay.calls))
            replay.raise_event(CHILD, orchestrators.CANCEL_EVENT, {"requested": True})

    replay = _driver(stub, hold=_slow({"p1"}, rounds=5), on_episode=cancel_mid_run)
    run = replay.run("run_workspace", RUN, "hygge-run-p")

    outcome = run.output["outcomes"][0]
    assert outcome["cancelled"] is True
    assert not [c for c in replay.calls if c.name == "commit"]
    (abort,) = [c for c in replay.calls if c.name == "abort"]
    assert abort.input["cancelled"] is True
    after = [c for c in replay.calls[told[0] :] if c.instance_id == CHILD]
    # At most the chunks already asked for ran after the cancel (none started after it
    # was heard), and the abort came last, with the newest checkpoint: every chunk kept.
    started_after = [c for c in after if c.name == "move_chunk"]
    assert len(started_after) <= len(SKEWED)
    assert after[-1].name == "abort"
    merged = stub.stored["e0000"]
    assert abort.input["checkpoint"]["generation"] == merged.generation
    assert abort.input["checkpoint"]["partition_chunks"] == merged.partition_chunks


def _leaves(actions):
    for action in actions:
        if isinstance(action, list):
            yield from _leaves(action)
        elif action.get("actionType") in (WHEN_ANY, WHEN_ALL):
            yield from _leaves(action.get("compoundActions") or [])
        else:
            yield action
