"""`mirror_journal: true`: `hygge go` lands its journal as a table of its own in the landing
zone, once per run (one file per run, not per entity), upserted by entity_run_id."""

from __future__ import annotations

from pathlib import Path

from hygge.storage import LocalStorage
from tests.support.cli import hygge
from tests.support.data import orders
from tests.support.open_mirroring_checker import assert_valid, data_files, replay
from tests.support.workspace import land, write_workspace

FLOW = """\
home: {type: parquet, path: landing}
store:
  type: open_mirroring
  path: onelake/LandingZone
  key_columns: id
  folder_deletion_wait_seconds: 0
  mirror_journal: true
  journal_table_name: runs
run_type: incremental
watermark: {column: updated_at}
entities: [orders, refunds]
"""


def test_hygge_go_mirrors_its_journal_once_per_run(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write_workspace(root, {"shop": FLOW})
    land(root, "orders", "a", orders(5))
    land(root, "refunds", "a", orders(3))
    done = hygge(root, "go")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "journal: 2 row(s) mirrored to runs" in done.stdout
    land(root, "orders", "b", orders(2, start=5))
    done = hygge(root, "go")
    assert done.returncode == 0, done.stdout + done.stderr

    storage = LocalStorage(root / "onelake")
    assert_valid(storage, "LandingZone")
    table = "LandingZone/runs"
    assert [n for n, _ in data_files(storage, table)] == [f"{n:020d}.parquet" for n in (1, 2)]
    journal = replay(storage, table)
    assert journal is not None
    assert sorted(journal["entity"].to_list()) == ["orders", "orders", "refunds", "refunds"]
    assert journal["entity_run_id"].n_unique() == 4
    assert set(journal["status"].to_list()) == {"success", "skip"}
    assert sum(journal["row_count"].fill_null(0).to_list()) == 10


def test_a_journal_table_hygge_does_not_own_fails_the_run_after_the_data_landed(tmp_path):
    root = tmp_path / "ws"
    write_workspace(root, {"shop": FLOW})
    land(root, "orders", "a", orders(5))
    land(root, "refunds", "a", orders(3))
    foreign = root / "onelake" / "LandingZone" / "runs"
    foreign.mkdir(parents=True)
    (foreign / "_metadata.json").write_text('{"keyColumns": []}')
    done = hygge(root, "go")
    assert done.returncode != 0
    assert "journal not mirrored to runs" in done.stdout
    assert "_metadata.json" in done.stdout  # names what it found
    storage = LocalStorage(root / "onelake")
    assert replay(storage, "LandingZone/orders").height == 5  # type: ignore[union-attr]
    assert sorted(p.name for p in foreign.iterdir()) == ["_metadata.json"]  # untouched
