"""An interrupted run goes on only in the store and home it started with."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl

from hygge.config import load_workspace
from hygge.engine.models import Checkpoint
from hygge.engine.plan import Selection, plan_run
from hygge.engine.steps import ChunkBudget, begin, move_chunk
from hygge.types import RunStatus
from tests.support.context import LOCAL
from tests.support.data import content_hash
from tests.support.workspace import land, read_lake, read_landing, run, state_of, write_workspace

FLOW = """\
home: %s
store: %s
run_type: full_drop
entities: [orders]
"""
HOME = "{type: parquet, path: landing, batch_size: 2}"
LAKE = "{type: parquet, path: lake}"


def orders(ids: list[int]) -> pl.DataFrame:
    return pl.DataFrame({"id": ids, "amount": [float(i) for i in ids]})


def interrupted(root: Path, phase: str | None = None) -> Checkpoint:
    """A workspace whose entity stopped after its first chunk (2 of 6 rows staged), or in
    `phase` with that chunk as the whole run."""
    write_workspace(root, {"feed": FLOW % (HOME, LAKE)})
    land(root, "orders", "a", orders([1, 2, 3]))
    land(root, "orders", "b", orders([4, 5, 6]))
    workspace = load_workspace(root)
    state = state_of(workspace)
    [task] = plan_run(workspace, Selection()).tasks
    checkpoint = move_chunk(
        task,
        begin(task, state, context=LOCAL),
        state,
        budget=ChunkBudget(max_rows=2),
        context=LOCAL,
    )
    if phase is not None:
        checkpoint = checkpoint.model_copy(update={"phase": phase, "done": True})
        state.save_checkpoint("feed", "orders", checkpoint.model_dump(mode="json"))
    state.release_lock("feed", "orders", checkpoint.attempt_id)
    saved = checkpoint_of(root)  # as stored: with the time it was saved
    assert saved is not None
    return saved


def checkpoint_of(root: Path) -> Checkpoint | None:
    raw = state_of(load_workspace(root)).load_checkpoint("feed", "orders")
    return None if raw is None else Checkpoint.model_validate(raw)


def staged_files(checkpoint: Checkpoint) -> list[str]:
    return sorted(p.name for p in Path(checkpoint.staging.location).iterdir())


def test_resuming_after_the_store_format_changed_is_refused_and_the_run_kept(
    tmp_path: Path,
) -> None:
    root = tmp_path / "ws"
    stopped = interrupted(root)
    staged = staged_files(stopped)
    write_workspace(root, {"feed": FLOW % (HOME, "{type: local, path: lake, format: csv}")})

    result = run(root).results[0]

    assert result.status is RunStatus.FAIL
    message = result.message or ""
    assert f"the store changed since run {stopped.entity_run_id[:8]} was interrupted" in message
    assert "from 'local parquet ./lake/orders' to 'local csv ./lake/orders'" in message
    assert "restore the store setting to resume it" in message
    assert "hygge go --restart --entity feed.orders" in message
    assert checkpoint_of(root) == stopped
    assert staged_files(stopped) == staged
    assert not list(root.glob("lake/**/*.csv"))


def test_restarting_after_a_store_change_discards_the_run_and_loads_the_new_store(
    tmp_path: Path,
) -> None:
    root = tmp_path / "ws"
    interrupted(root)
    write_workspace(
        root,
        {"feed": FLOW % (HOME, "{type: parquet, path: lake2}")},
        project="name: test\noptions: {on_interrupted: restart}\n",
    )

    result = run(root).results[0]

    assert result.status is RunStatus.SUCCESS and result.rows == 6
    landed = read_landing(root, "orders")
    assert content_hash(read_lake(root, "orders", lake="lake2")) == content_hash(landed)
    assert not (root / "lake" / "_hygge_staging").exists()  # the old store's staging is gone
    assert checkpoint_of(root) is None


def test_a_run_interrupted_while_publishing_is_finished_only_in_its_own_store(
    tmp_path: Path,
) -> None:
    root = tmp_path / "ws"
    interrupted(root, phase="publishing")
    write_workspace(root, {"feed": FLOW % (HOME, "{type: parquet, path: lake2}")})

    refused = run(root).results[0]
    write_workspace(root, {"feed": FLOW % (HOME, LAKE)})
    finished = run(root).results[0]

    assert refused.status is RunStatus.FAIL
    message = refused.message or ""
    assert "was interrupted while publishing" in message
    assert "run `hygge go --resume --entity feed.orders` to finish the publish" in message
    assert "--restart" not in message
    assert not (root / "lake2").exists()
    assert finished.status is RunStatus.SUCCESS
    assert read_lake(root, "orders").height == 2  # the staged chunk, published once


def test_resuming_after_the_home_changed_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    stopped = interrupted(root)
    shutil.copytree(root / "landing", root / "landing2")
    write_workspace(root, {"feed": FLOW % ("{type: parquet, path: landing2}", LAKE)})

    result = run(root).results[0]

    assert result.status is RunStatus.FAIL
    message = result.message or ""
    assert "the home changed since run" in message
    assert "from 'local parquet ./landing/orders' to 'local parquet ./landing2/orders'" in message
    assert "restore the home setting to resume it" in message
    assert checkpoint_of(root) == stopped


def test_a_checkpoint_of_an_older_hygge_without_identities_resumes(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    interrupted(root)
    path = root / ".hygge" / "checkpoints" / "feed" / "orders.json"
    saved = json.loads(path.read_text())
    del saved["home_identity"], saved["store_identity"]
    path.write_text(json.dumps(saved))

    result = run(root).results[0]

    assert result.status is RunStatus.SUCCESS and result.resumed == 1
    assert content_hash(read_lake(root, "orders")) == content_hash(read_landing(root, "orders"))
