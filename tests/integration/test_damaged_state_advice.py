"""A damaged watermark or checkpoint: the advice names hygge commands, and following it loads
every row once (found by a hostile-user attack: deleting the file by hand doubled rows)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tests.support.cli import hygge, init_shop


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    return init_shop(tmp_path)


def follow_the_advice(shop: Path, said: str) -> None:
    assert "Delete it" not in said and "hygge reset --flow sample --entity orders" in said, said
    assert hygge(shop, "reset", "--flow", "sample", "--entity", "orders", "--yes").returncode == 0
    reloaded = hygge(shop, "go", "--full-drop", "--entity", "sample.orders")
    assert reloaded.returncode == 0, reloaded.stdout + reloaded.stderr


def lake_rows(shop: Path) -> tuple[int, int]:
    lake = pl.scan_parquet(str(shop / "data" / "lake" / "orders" / "**" / "*.parquet"))
    rows, distinct = lake.select(pl.len(), pl.col("order_id").n_unique()).collect().row(0)
    return rows, distinct


def source_rows(shop: Path) -> int:
    files = sorted(str(p) for p in (shop / "data" / "landing" / "orders").glob("*.csv"))
    return int(pl.scan_csv(files).select(pl.len()).collect().item())


@pytest.mark.parametrize(
    ("damaged", "content"),
    [
        pytest.param("watermarks", "{bad", id="watermark-not-json"),
        pytest.param("checkpoints", "{bad", id="checkpoint-not-json"),
        pytest.param("checkpoints", '{"run_id": 5}', id="checkpoint-missing-fields"),
    ],
)
def test_following_the_advice_for_a_damaged_state_file_loads_every_row_once(shop, damaged, content):
    env = {"HYGGE_FAULT": "after_checkpoint:exit"} if damaged == "checkpoints" else {}
    first = hygge(shop, "go", "--entity", "sample.orders", env=env)
    assert first.returncode == (86 if env else 0), first.stdout + first.stderr
    (shop / ".hygge" / damaged / "sample" / "orders.json").write_text(content)

    failed = hygge(shop, "go", "--entity", "sample.orders")
    assert failed.returncode != 0
    follow_the_advice(shop, failed.stdout + failed.stderr)

    want = source_rows(shop)
    assert lake_rows(shop) == (want, want)


def test_a_checkpoint_missing_fields_is_one_line_naming_the_first_field_reported_once(shop):
    crashed = hygge(
        shop, "go", "--entity", "sample.orders", env={"HYGGE_FAULT": "after_checkpoint:exit"}
    )
    assert crashed.returncode == 86, crashed.stdout + crashed.stderr
    (shop / ".hygge" / "checkpoints" / "sample" / "orders.json").write_text('{"run_id": 5}')

    failed = hygge(shop, "go", "--entity", "sample.orders")

    said = failed.stdout + failed.stderr
    assert failed.returncode == 1
    assert "errors.pydantic.dev" not in said, said
    [line] = [text for text in said.splitlines() if "--full-drop" in text]  # the whole message
    assert "the saved checkpoint of sample.orders (" in line
    assert "checkpoints/sample/orders.json) is damaged" in line  # the file it found damaged
    assert "field 'entity_run_id': Field required (1 of 8 problems)" in line
    assert "hygge reset --flow sample --entity orders" in line
    assert " ERROR " not in failed.stderr, failed.stderr  # the failure is reported, not logged
