"""A power cut tears the state files hygge writes unsynced (a lock, a moving run's checkpoint):
their names survive without their bytes. The next `hygge go` must carry on as after a crash
before publishing, never stop on "corrupt state" (found attacking the unsynced writes)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from hygge.faults import CRASH_EXIT_CODE
from tests.support.cli import hygge, init_shop


def _tear(path: Path, zeros: bool) -> None:
    """What a power cut leaves of a write that never reached the disk."""
    path.write_bytes(b"\0" * path.stat().st_size if zeros else b"")


@pytest.mark.parametrize("zeros", [False, True], ids=["empty", "zeros"])
def test_a_run_whose_lock_and_checkpoint_were_torn_by_a_power_cut_starts_over(tmp_path, zeros):
    shop = init_shop(tmp_path)
    crashed = hygge(
        shop, "go", "--entity", "sample.orders", env={"HYGGE_FAULT": "after_checkpoint:exit"}
    )
    assert crashed.returncode == CRASH_EXIT_CODE, crashed.stdout + crashed.stderr
    state = shop / ".hygge"
    checkpoint = state / "checkpoints" / "sample" / "orders.json"
    lock = state / "locks" / "sample" / "orders.lock"
    _tear(checkpoint, zeros)
    _tear(lock, zeros)

    listed = hygge(shop, "list")
    assert listed.returncode == 0, listed.stdout + listed.stderr

    again = hygge(shop, "go", "--entity", "sample.orders")
    said = " ".join((again.stdout + again.stderr).split())
    assert again.returncode == 0, said
    assert "torn by a power cut" in said, said
    lake = pl.scan_parquet(str(shop / "data" / "lake" / "orders" / "**" / "*.parquet"))
    rows, distinct = lake.select(pl.len(), pl.col("order_id").n_unique()).collect().row(0)
    assert rows == distinct == 2_000
    assert not lock.exists() and not checkpoint.exists()

    # The crashed run's staging belongs to no checkpoint now: reset removes it.
    reset = hygge(shop, "reset", "--flow", "sample", "--entity", "orders", "--yes")
    assert reset.returncode == 0, reset.stdout + reset.stderr
    staging = shop / "data" / "lake" / "_hygge_staging"
    assert not staging.exists() or not any(staging.rglob("*.parquet"))


def test_a_torn_lock_is_no_lock_for_unlock_and_list(tmp_path):
    shop = init_shop(tmp_path)
    lock = shop / ".hygge" / "locks" / "sample" / "orders.lock"
    lock.parent.mkdir(parents=True)
    lock.write_bytes(b"")

    listed = hygge(shop, "list")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert "locked" not in listed.stdout.lower(), listed.stdout
    unlocked = hygge(shop, "unlock", "--flow", "sample", "--entity", "orders")
    said = " ".join((unlocked.stdout + unlocked.stderr).split())
    assert unlocked.returncode == 0, said
    assert "is not locked: nothing to unlock" in said, said
    ran = hygge(shop, "go", "--entity", "sample.orders")
    assert ran.returncode == 0, ran.stdout + ran.stderr
