"""Names of the longest allowed length work everywhere hygge names a file after them."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from hygge.config import load_workspace
from hygge.engine.plan import Selection, plan_run
from hygge.engine.steps import ChunkBudget, begin, move_chunk
from hygge.state.layout import MAX_NAME_BYTES
from hygge.types import RunStatus
from tests.support.context import LOCAL
from tests.support.data import content_hash
from tests.support.workspace import land, read_lake, read_landing, run, state_of, write_workspace

FLOW_NAME = "f" * MAX_NAME_BYTES
ENTITY = "e" * MAX_NAME_BYTES
FLOW = f"""\
home: {{type: parquet, path: landing, batch_size: 2}}
store: {{type: parquet, path: lake%s}}
run_type: incremental
watermark: {{column: at, key_columns: [id], lookback: 1}}
entities: [{ENTITY}]
"""


def events(ids: list[int]) -> pl.DataFrame:
    return pl.DataFrame({"id": ids, "at": ids})


def test_the_longest_names_survive_an_interrupted_run_with_a_lookback_and_its_resume(
    tmp_path: Path,
) -> None:
    root = write_workspace(tmp_path / "ws", {FLOW_NAME: FLOW % ""})
    land(root, ENTITY, "a", events([1, 2, 3, 4, 5]))
    workspace = load_workspace(root)
    state = state_of(workspace)
    [task] = plan_run(workspace, Selection()).tasks
    stopped = move_chunk(
        task,
        begin(task, state, context=LOCAL),
        state,
        budget=ChunkBudget(max_rows=2),
        context=LOCAL,
    )
    state.release_lock(FLOW_NAME, ENTITY, stopped.attempt_id)  # as a takeover would
    pending = list((root / ".hygge" / "margins" / FLOW_NAME).iterdir())

    result = run(root).results[0]

    assert [len(p.name.encode()) for p in pending] == [MAX_NAME_BYTES + 28]
    assert result.status is RunStatus.SUCCESS and result.resumed == 1
    assert content_hash(read_lake(root, ENTITY)) == content_hash(read_landing(root, ENTITY))
    assert state.read_journal()[0].entity == ENTITY


def test_a_file_pattern_that_makes_too_long_file_names_fails_naming_the_pattern(
    tmp_path: Path,
) -> None:
    pattern = ", file_pattern: '{flow}_{entity}_{run_id}_{timestamp}_{sequence:05d}'"
    root = write_workspace(tmp_path / "ws", {FLOW_NAME: FLOW % pattern})
    land(root, ENTITY, "a", events([1]))

    result = run(root).results[0]

    assert result.status is RunStatus.FAIL
    message = result.message or ""
    assert "file_pattern '{flow}_{entity}_{run_id}_{timestamp}_{sequence:05d}.parquet'" in message
    assert "names of 245 bytes" in message
    assert "at most 230" in message
    assert not (root / "lake").exists()
