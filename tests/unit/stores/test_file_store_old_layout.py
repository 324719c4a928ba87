"""Lakes and staging written before the file store went through the storage seam still work."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from hygge.stores.base import Staging
from hygge.stores.file_store import open_file_store
from hygge.stores.files import LocalStoreConfig
from hygge.types import Place, RunType
from tests.support.data import orders
from tests.support.workspace import land, read_lake, run, write_workspace

RUN = "0f" * 16
# `_hygge_store.json` as the folder-exchange store wrote it: the owner, then its commits.
OLD_MARKER = {
    "workspace": "test",
    "workspace_root": "",
    "flow": "shop",
    "entity": "orders",
    "store": "parquet",
    "created_at": "2026-01-02T03:04:05Z",
    "commits": {
        "last": {"run_id": RUN, "run_type": "full_drop", "rows": 3},
        "recent_runs": [RUN],
    },
}
FLOW = """\
home: landing
store: lake
entities: [orders]
"""


def _old_lake(root: Path) -> Path:
    folder = root / "lake" / "orders"
    folder.mkdir(parents=True)
    orders(3, start=900).write_parquet(folder / "00000000000000000000.parquet")
    marker = {**OLD_MARKER, "workspace_root": str(root)}
    (folder / "_hygge_store.json").write_text(json.dumps(marker, indent=2) + "\n")
    return folder


def test_an_old_lake_is_owned_replaced_by_a_full_drop_and_its_commits_carried_on(tmp_path):
    root = write_workspace(tmp_path, {"shop": FLOW})
    folder = _old_lake(root)
    land(root, "orders", "part-1", orders(5))
    report = run(root)
    assert report.ok, report.failed
    assert read_lake(root, "orders").sort("id").equals(orders(5).sort("id"))
    marker = json.loads((folder / "_hygge_store.json").read_text())
    assert marker["created_at"].startswith("2026-01-02")  # the first publish's date kept
    assert marker["commits"]["recent_runs"][0] == RUN  # the old runs are still remembered
    assert not [p for p in folder.iterdir() if p.name.startswith("_hygge_staging")]


def test_an_old_lakes_last_commit_reads_back(tmp_path):
    _old_lake(tmp_path)
    store = open_file_store(LocalStoreConfig(path="lake/orders"), Place(tmp_path, "shop", "orders"))
    last = store.last_commit()
    assert last is not None and last.run_id == RUN and last.rows == 3


def test_a_staging_prepared_before_open_markers_still_publishes(tmp_path):
    store = open_file_store(LocalStoreConfig(path="lake/orders"), Place(tmp_path, "shop", "orders"))
    folder = tmp_path / "lake" / "_hygge_staging" / "orders" / RUN
    folder.mkdir(parents=True)
    orders(4).write_parquet(folder / "00000000000000000000.parquet")
    stat = folder.stat()
    staging = Staging(  # as the old store checkpointed it: an absolute path and the inode
        run_id=RUN,
        run_type=RunType.FULL_DROP,
        location=str(folder),
        artefacts=["00000000000000000000.parquet"],
        next_sequence=1,
        extra={"device": stat.st_dev, "inode": stat.st_ino, "started": "20260102T030405Z"},
    )
    store.discard_unlisted(staging)
    store.publish(staging)
    published = pl.read_parquet(tmp_path / "lake" / "orders" / "*.parquet")
    assert published.height == 4
    assert not (tmp_path / "lake" / "_hygge_staging").exists()
