"""Scenario 8 (BENCHMARKS.md): Durable orchestration of many entities, activities stubbed.

`run_workspace` over `BENCH_ENTITIES` entities (2 chunks each, 8 at once) replayed by the
Durable SDK's own replay engine (tests/support/durable.py), with stub activities that do no I/O
(tests/support/stub_activities.py). The figure is the CPU spent inside the orchestrator
functions (every episode of run_workspace and of every run_entity, the replays included),
divided by the entity episodes (the run_entity handle calls): what an entity costs the
orchestrator host each time it wakes. Its history stays bounded (continue_as_new): the longest
run_entity history is reported.

Run alone: `python bench/scenario_orchestration.py 200` prints one measurement as JSON.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from table import Check, Measured, Row

ROOT = Path(__file__).resolve().parents[1]
TARGET_MS = 5.0
HISTORY_BOUND = 200  # events in one run_entity execution (CHUNKS_PER_EPISODE bounds it)


def measure(entities: int) -> dict[str, float]:
    sys.path.insert(0, str(ROOT))
    from hygge.functions import orchestration
    from hygge.functions.contracts import RunInput
    from tests.support.durable import ReplayDriver, blueprint_handles
    from tests.support.stub_activities import StubActivities

    handles = blueprint_handles(orchestration, orchestration.ORCHESTRATORS)
    driver = ReplayDriver(handles, StubActivities(entities=entities, chunks=2, max_parallel=8))
    run = RunInput(requested_at="2026-12-01T02:00:00Z").model_dump(mode="json")
    started = time.perf_counter()
    instance = driver.run("run_workspace", run, "hygge-bench")
    seconds = time.perf_counter() - started
    assert instance.output["succeeded"] == entities, instance.output
    children = [i for i in driver.instances.values() if i.name == "run_entity"]
    episodes = sum(child.episodes for child in children)
    return {
        "seconds": seconds,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "cpu_ms_per_entity_episode": driver.orchestrator_cpu * 1000 / episodes,
        "entity_episodes": episodes,
        "workspace_episodes": instance.episodes,
        "longest_entity_history": max(child.longest_history for child in children),
        "workspace_history": instance.longest_history,
    }


def orchestration(entities: int, repeat: int) -> list[Row]:
    """The median of `repeat` measurements, each in a fresh process."""
    runs = []
    for _ in range(max(1, repeat)):
        done = subprocess.run(
            [sys.executable, str(Path(__file__)), str(entities)],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    cpu = statistics.median(r["cpu_ms_per_entity_episode"] for r in runs)
    history = max(r["longest_entity_history"] for r in runs)
    measured = Measured(
        statistics.median(r["seconds"] for r in runs), max(r["peak_mib"] for r in runs)
    )
    checks = (
        Check("orchestrator CPU per entity per episode", cpu, "≤", TARGET_MS, " ms"),
        Check("longest run_entity history", history, "≤", HISTORY_BOUND, " events"),
    )
    last = runs[-1]
    note = (
        f"{last['entity_episodes']} entity episodes, {last['workspace_episodes']} run_workspace "
        f"episodes (history {last['workspace_history']} events); activities stubbed"
    )
    return [Row(f"8 orchestration of {entities} entities", entities, measured, None, checks, note)]


if __name__ == "__main__":
    print(json.dumps(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 200)))
