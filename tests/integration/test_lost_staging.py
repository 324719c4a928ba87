"""Staged files deleted by hand after a crash: hygge commands must still lead back to a store
holding every row once (found by this session's hostile pass; not fixed yet)."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from tests.support.cli import hygge, init_shop


@pytest.mark.xfail(
    strict=True,
    reason="open finding: the resumed commit marks the run 'publishing' before it finds the "
    "staged files gone, so every later `hygge go` fails, `hygge reset` refuses it as "
    "half-published, and `--restart` finishes the publish again: no command gets out",
)
def test_a_run_whose_staging_was_deleted_after_a_crash_can_be_reset_and_reloaded(tmp_path):
    shop = init_shop(tmp_path)
    crashed = hygge(
        shop, "go", "--entity", "sample.orders", env={"HYGGE_FAULT": "after_checkpoint:exit"}
    )
    assert crashed.returncode == 86, crashed.stdout + crashed.stderr
    shutil.rmtree(shop / "data" / "lake" / "_hygge_staging")  # "cleaning up" by hand
    assert hygge(shop, "go", "--entity", "sample.orders").returncode == 1

    reset = hygge(shop, "reset", "--flow", "sample", "--entity", "orders", "--yes")
    assert reset.returncode == 0, reset.stdout + reset.stderr
    reloaded = hygge(shop, "go", "--full-drop", "--entity", "sample.orders")
    assert reloaded.returncode == 0, reloaded.stdout + reloaded.stderr
    lake = pl.scan_parquet(str(Path(shop / "data" / "lake" / "orders" / "**" / "*.parquet")))
    rows, distinct = lake.select(pl.len(), pl.col("order_id").n_unique()).collect().row(0)
    assert rows == distinct == 2_000
