"""State remembers which store it describes: a changed store is refused, never half-loaded."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import polars as pl
import pytest

from hygge.config import load_workspace
from hygge.engine.plan import Selection, plan_run
from hygge.engine.runner import run_plan
from hygge.types import RunStatus, RunType
from tests.support.data import content_hash
from tests.support.workspace import land, read_lake, read_landing, run, state_of, write_workspace

FLOW = """\
home: {type: parquet, path: landing}
store: %s
run_type: incremental
entities: [orders]
"""
LAKE = "{type: parquet, path: lake}"


def orders(ids: list[int]) -> pl.DataFrame:
    return pl.DataFrame({"id": ids, "amount": [float(i) for i in ids]})


def loaded_once(root: Path, store: str = LAKE) -> Path:
    """A workspace whose incremental entity loaded one file into `store`."""
    root = write_workspace(root, {"feed": FLOW % store})
    land(root, "orders", "a", orders([1, 2]))
    assert run(root).results[0].status is RunStatus.SUCCESS
    return root


def stored_identity(root: Path) -> str | None:
    watermark = state_of(load_workspace(root)).get_watermark("feed", "orders")
    assert watermark is not None
    return watermark.store_identity


def test_an_incremental_run_into_a_moved_store_is_refused_before_anything_is_staged(
    tmp_path: Path,
) -> None:
    root = loaded_once(tmp_path / "ws")
    before = stored_identity(root)
    write_workspace(root, {"feed": FLOW % "{type: parquet, path: lake2}"})
    land(root, "orders", "b", orders([3]))

    result = run(root).results[0]

    assert result.status is RunStatus.FAIL
    message = result.message or ""
    assert f"'{before}'" in message
    assert "'local parquet ./lake2/orders'" in message
    assert "hygge reset --flow feed --entity orders" in message
    assert "hygge go --full-drop --entity feed.orders" in message
    assert not (root / "lake2").exists()
    assert stored_identity(root) == before


def test_a_store_path_given_with_var_is_refused_like_a_changed_flow_file(tmp_path: Path) -> None:
    root = loaded_once(tmp_path / "ws")
    land(root, "orders", "b", orders([3]))
    workspace = load_workspace(root, overrides=["flow.feed.store.path=elsewhere"])

    report = run_plan(plan_run(workspace, Selection()), state_of(workspace), concurrency=1)

    assert report.results[0].status is RunStatus.FAIL
    assert "'local parquet ./elsewhere/orders'" in (report.results[0].message or "")
    assert not (root / "elsewhere").exists()


def test_a_changed_store_format_is_refused(tmp_path: Path) -> None:
    root = loaded_once(tmp_path / "ws")
    write_workspace(root, {"feed": FLOW % "{type: local, path: lake, format: csv}"})
    land(root, "orders", "b", orders([3]))

    result = run(root).results[0]

    assert result.status is RunStatus.FAIL
    assert "'local csv ./lake/orders'" in (result.message or "")
    assert not list((root / "lake" / "orders").glob("*.csv"))


def test_the_same_folder_named_as_type_local_is_the_same_store(tmp_path: Path) -> None:
    root = loaded_once(tmp_path / "ws")
    write_workspace(root, {"feed": FLOW % "{type: local, path: lake, format: parquet}"})
    land(root, "orders", "b", orders([3]))

    result = run(root).results[0]

    assert result.status is RunStatus.SUCCESS and result.rows == 1


def test_a_store_reached_through_a_symlink_to_the_same_folder_is_the_same_store(
    tmp_path: Path,
) -> None:
    root = loaded_once(tmp_path / "ws")
    (root / "alias").symlink_to(root / "lake", target_is_directory=True)
    write_workspace(root, {"feed": FLOW % "{type: parquet, path: alias}"})
    land(root, "orders", "b", orders([3]))

    result = run(root).results[0]

    assert result.status is RunStatus.SUCCESS and result.rows == 1


def test_a_workspace_moved_whole_keeps_its_state(tmp_path: Path) -> None:
    root = loaded_once(tmp_path / "ws")
    moved = tmp_path / "elsewhere" / "ws"
    moved.parent.mkdir()
    shutil.move(root, moved)
    land(moved, "orders", "b", orders([3]))

    result = run(moved).results[0]

    assert result.status is RunStatus.SUCCESS and result.rows == 1
    assert content_hash(read_lake(moved, "orders")) == content_hash(read_landing(moved, "orders"))


def test_a_store_outside_the_workspace_is_identified_by_its_absolute_real_path(
    tmp_path: Path,
) -> None:
    outside = tmp_path / "shared"
    root = loaded_once(tmp_path / "ws", f"{{type: parquet, path: {outside}}}")

    assert stored_identity(root) == f"local parquet {outside.resolve()}/orders"


def test_a_full_drop_into_a_new_store_loads_everything_and_rekeys_the_watermark(
    tmp_path: Path,
) -> None:
    root = loaded_once(tmp_path / "ws")
    write_workspace(root, {"feed": FLOW % "{type: parquet, path: lake2}"})
    land(root, "orders", "b", orders([3]))

    reloaded = run(root, run_type=RunType.FULL_DROP).results[0]
    land(root, "orders", "c", orders([4]))
    next_run = run(root).results[0]

    assert reloaded.status is RunStatus.SUCCESS and reloaded.rows == 3
    assert next_run.status is RunStatus.SUCCESS and next_run.rows == 1
    assert stored_identity(root) == "local parquet ./lake2/orders"
    landed = read_landing(root, "orders")
    assert content_hash(read_lake(root, "orders", lake="lake2")) == content_hash(landed)


def test_a_watermark_without_a_store_identity_adopts_the_current_store_with_a_note(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = loaded_once(tmp_path / "ws")
    path = root / ".hygge" / "watermarks" / "feed" / "orders.json"
    old = json.loads(path.read_text())
    del old["store_identity"]  # as the previous version wrote it
    path.write_text(json.dumps(old))
    land(root, "orders", "b", orders([3]))

    with caplog.at_level(logging.WARNING, logger="hygge"):
        result = run(root).results[0]

    assert result.status is RunStatus.SUCCESS and result.rows == 1
    assert stored_identity(root) == "local parquet ./lake/orders"
    assert "records no store" in caplog.text
    assert "local parquet ./lake/orders" in caplog.text
    assert "records no store" in (result.message or "")
