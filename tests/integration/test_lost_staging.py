"""Staged files deleted by hand after a crash: hygge commands must still lead back to a store
holding every row once (found by a hostile pass): the commit sees the staged files are gone
before publishing begins, so the run is discarded, not left half-published forever."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl

from tests.support.cli import hygge, init_shop


def test_a_run_whose_staging_was_deleted_after_a_crash_can_be_reset_and_reloaded(tmp_path):
    shop = init_shop(tmp_path)
    crashed = hygge(
        shop, "go", "--entity", "sample.orders", env={"HYGGE_FAULT": "after_checkpoint:exit"}
    )
    assert crashed.returncode == 86, crashed.stdout + crashed.stderr
    shutil.rmtree(shop / "data" / "lake" / "_hygge_staging")  # "cleaning up" by hand
    lost = hygge(shop, "go", "--entity", "sample.orders")
    assert lost.returncode == 1
    said = " ".join((lost.stdout + lost.stderr).split())
    assert "removed by hand? Nothing of the run was published" in said, said

    reset = hygge(shop, "reset", "--flow", "sample", "--entity", "orders", "--yes")
    assert reset.returncode == 0, reset.stdout + reset.stderr
    reloaded = hygge(shop, "go", "--full-drop", "--entity", "sample.orders")
    assert reloaded.returncode == 0, reloaded.stdout + reloaded.stderr
    lake = pl.scan_parquet(str(Path(shop / "data" / "lake" / "orders" / "**" / "*.parquet")))
    rows, distinct = lake.select(pl.len(), pl.col("order_id").n_unique()).collect().row(0)
    assert rows == distinct == 2_000
