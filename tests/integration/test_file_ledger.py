"""The file ledger commits exactly once with the data, and runs carry only their own files.

A landing zone's loaded files are recorded in the state's sharded file ledger after the
publish and before the watermark. A crash anywhere between them (or half way through the
ledger write) leaves the run's checkpoint `publishing` (a publish repeated is a no-op), so the
next run finishes the commit: no file is loaded twice, none is skipped, and later runs load
only what is new.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from hygge.config import load_workspace
from hygge.engine.plan import Selection, plan_run
from hygge.engine.runner import run_plan
from hygge.errors import InjectedFault
from hygge.faults import CRASH_EXIT_CODE
from hygge.state.base import FileRecord
from hygge.state.ledger import shard_of
from hygge.state.local import LocalStateBackend
from hygge.types import RunStatus
from tests.support.workspace import crash, read_lake, run, state_of, write_workspace

FLOW = """\
home: {type: local, path: landing, format: csv, batch_size: 4}
store: {type: parquet, path: lake, batch_size: 5}
run_type: incremental
entities: [events]
"""
NEW_FILES = [f"day-{n:02}.csv" for n in range(12)]  # spread over many ledger shards


def landing(root: Path) -> Path:
    return root / "landing" / "events"


def land_csv(root: Path, name: str, ids: range, *, append: bool = False) -> None:
    path = landing(root) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = "".join(f"{i},n{i}\n" for i in ids)
    with path.open("a" if append else "w") as out:
        out.write(rows if append else "id,name\n" + rows)


def prepare(root: Path) -> list[int]:
    """One loaded file, then an append to it and twelve new files; every id the source has."""
    write_workspace(root, {"feed": FLOW})
    land_csv(root, "a.csv", range(3))
    assert run(root).ok
    land_csv(root, "a.csv", range(3, 5), append=True)
    for n, name in enumerate(NEW_FILES):
        land_csv(root, name, range(100 + 10 * n, 103 + 10 * n))
    return [*range(5), *(i for n in range(12) for i in range(100 + 10 * n, 103 + 10 * n))]


def lake_ids(root: Path) -> list[int]:
    return sorted(read_lake(root, "events")["id"].to_list())


def ledger(root: Path) -> dict[str, FileRecord]:
    state = state_of(load_workspace(root))
    return state.read_file_ledger("feed", "events", ["a.csv", *NEW_FILES])


def assert_loaded_once_and_settled(root: Path, ids: list[int]) -> None:
    assert lake_ids(root) == sorted(ids)
    recorded = ledger(root)
    assert sorted(recorded) == sorted(["a.csv", *NEW_FILES])
    assert recorded["a.csv"].rows == 5 and {recorded[n].rows for n in NEW_FILES} == {3}
    (again,) = run(root).results  # nothing new: nothing is read again
    assert again.status is RunStatus.SKIP and again.rows == 0
    land_csv(root, "late.csv", range(900, 902))
    (late,) = run(root).results  # and a new file loads alone
    assert late.rows == 2
    assert lake_ids(root) == sorted([*ids, 900, 901])


@pytest.mark.parametrize("point", ["after_publish", "after_ledger", "after_watermark"])
def test_a_crash_between_publish_and_watermark_neither_reloads_nor_skips_a_file(
    tmp_path: Path, point: str
) -> None:
    root = tmp_path / "ws"
    ids = prepare(root)

    assert crash(root, point) == CRASH_EXIT_CODE
    (finished,) = run(root).results

    assert finished.status is RunStatus.SUCCESS
    assert_loaded_once_and_settled(root, ids)


class LedgerDiesHalfWay(LocalStateBackend):
    """Local state whose ledger write stops after the first half of the records' shards."""

    def write_file_ledger(self, flow: str, entity: str, records: Sequence[FileRecord]) -> None:
        super().write_file_ledger(flow, entity, records[: len(records) // 2])
        raise InjectedFault("crash in the middle of the file ledger write")


def test_a_crash_half_way_through_the_ledger_write_is_finished_by_the_next_run(tmp_path):
    root = tmp_path / "ws"
    ids = prepare(root)
    workspace = load_workspace(root)
    dying = LedgerDiesHalfWay(workspace.state_dir, workspace.journal_dir)

    (failed,) = run_plan(plan_run(workspace, Selection()), dying, concurrency=1).results
    assert failed.status is RunStatus.FAIL and 0 < len(ledger(root)) < 13
    (finished,) = run(root).results

    assert finished.status is RunStatus.SUCCESS
    assert_loaded_once_and_settled(root, ids)


def test_a_checkpoint_and_the_watermark_carry_only_the_current_windows_files(tmp_path):
    root = tmp_path / "ws"
    write_workspace(root, {"feed": FLOW})
    for name in NEW_FILES:
        land_csv(root, name, range(2))
    assert run(root).ok
    land_csv(root, "new.csv", range(7, 9))

    assert crash(root, "after_checkpoint") == CRASH_EXIT_CODE

    state_dir = load_workspace(root).state_dir
    checkpoint = json.loads((state_dir / "checkpoints" / "feed" / "events.json").read_text())
    assert [f["path"] for f in checkpoint["window"]["files"]] == ["new.csv"]
    assert [r["path"] for r in checkpoint["file_records"]] == ["new.csv"]
    assert checkpoint.get("loaded_files") is None
    watermark = json.loads((state_dir / "watermarks" / "feed" / "events.json").read_text())
    assert watermark["files"] is None and watermark["file_records"] is None


FULL_DROP_FLOW = FLOW.replace("run_type: incremental", "run_type: full_drop")


def shard_inodes(root: Path) -> dict[str, int]:
    folder = load_workspace(root).state_dir / "files" / "feed" / "events"
    return {path.name: path.stat().st_ino for path in folder.glob("*.json")}


def test_a_full_drop_of_unchanged_files_leaves_the_ledger_as_it_is(tmp_path):
    root = tmp_path / "ws"
    write_workspace(root, {"feed": FULL_DROP_FLOW})
    for name in NEW_FILES:
        land_csv(root, name, range(3))
    assert run(root).ok
    before = shard_inodes(root)

    assert run(root).ok

    assert shard_inodes(root) == before  # not one shard rewritten
    assert sorted(ledger(root)) == NEW_FILES


def test_a_full_drop_after_a_file_went_replaces_the_ledger_with_the_files_read(tmp_path):
    root = tmp_path / "ws"
    write_workspace(root, {"feed": FULL_DROP_FLOW})
    for name in NEW_FILES:
        land_csv(root, name, range(3))
    assert run(root).ok
    (landing(root) / NEW_FILES[0]).unlink()

    assert run(root).ok

    assert sorted(ledger(root)) == NEW_FILES[1:]
    assert len(shard_inodes(root)) == len({shard_of(name) for name in NEW_FILES[1:]})
