"""The `journaled` mark of a finished run is saved without a folder fsync: a power cut may lose it.

Then the next run finds the `publishing` checkpoint the mark replaced, although the run had
published, watermarked and journaled. It must see the run's journal row and treat the run as
finished: finishing its publish again journaled a second success (and an `Interrupted` row)
for one publish, so a sum over the journal counted its rows twice (found by this test).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hygge.config import load_workspace
from hygge.faults import CRASH_EXIT_CODE
from tests.integration.test_fault_matrix import (
    WATERMARKED,
    assert_state_is_settled,
    assert_store_matches,
    prepare,
)
from tests.support.workspace import crash, run, state_of


def lose_the_journaled_mark(root: Path) -> str:
    """Put back the checkpoint the `journaled` mark replaced, as a lost rename would; the run id."""
    path = root / ".hygge" / "checkpoints" / "shop" / "orders.json"
    saved = json.loads(path.read_text())
    assert saved["phase"] == "journaled"
    saved.update(phase="publishing", finished_at=None, generation=saved["generation"] - 1)
    path.write_text(json.dumps(saved))
    return str(saved["entity_run_id"])


@pytest.mark.parametrize("run_type", ["full_drop", "incremental"])
def test_a_lost_journaled_mark_leaves_one_journal_row_and_doubles_nothing(
    tmp_path: Path, run_type: str
) -> None:
    root = tmp_path / "ws"
    source = prepare(root, "parquet", run_type, WATERMARKED)
    assert crash(root, "after_journal") == CRASH_EXIT_CODE
    run_id = lose_the_journaled_mark(root)

    rerun = run(root)

    assert rerun.ok, rerun.results
    assert_store_matches(root, "parquet", source)
    assert_state_is_settled(root, source, WATERMARKED)
    rows = state_of(load_workspace(root)).read_journal()
    of_run = [row for row in rows if row.entity_run_id == run_id]
    assert [(row.status, row.error_type) for row in of_run] == [("success", None)], [
        (row.status, row.message) for row in of_run
    ]
