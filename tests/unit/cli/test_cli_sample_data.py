"""The sample landing zone: realistic, deterministic, and extendable with new batches."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from hygge.cli.sample_data import main, write_sample_landing


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_sample_landing_writes_csv_and_parquet_per_entity_and_reports_row_counts(tmp_path):
    counts = write_sample_landing(tmp_path, rows=500)

    assert counts["orders"] == 500
    assert counts["customers"] == 100
    assert 500 <= counts["order_lines"] <= 2_000
    assert pl.read_csv(tmp_path / "customers").height == counts["customers"]
    assert pl.read_csv(tmp_path / "orders").height == counts["orders"]
    assert pl.read_parquet(tmp_path / "order_lines").height == counts["order_lines"]


def test_sample_orders_refer_to_existing_customers_and_lines_to_existing_orders(tmp_path):
    write_sample_landing(tmp_path, rows=400)

    customers = pl.read_csv(tmp_path / "customers")
    orders = pl.read_csv(tmp_path / "orders")
    lines = pl.read_parquet(tmp_path / "order_lines")
    assert orders["customer_id"].is_in(customers["customer_id"].implode()).all()
    assert lines["order_id"].is_in(orders["order_id"].implode()).all()
    assert orders["order_id"].is_unique().all()


def test_same_seed_writes_identical_files_and_another_seed_differs(tmp_path):
    write_sample_landing(tmp_path / "a", rows=300, seed=7)
    write_sample_landing(tmp_path / "b", rows=300, seed=7)
    write_sample_landing(tmp_path / "c", rows=300, seed=8)

    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    assert _files(tmp_path / "a") != _files(tmp_path / "c")


def test_a_second_batch_adds_new_files_with_new_ids_and_later_timestamps(tmp_path):
    write_sample_landing(tmp_path, rows=300)
    first = _files(tmp_path)

    write_sample_landing(tmp_path, rows=300, start=300)

    after = _files(tmp_path)
    assert {name: after[name] for name in first} == first
    assert len(after) == 2 * len(first)
    orders = pl.read_csv(tmp_path / "orders", try_parse_dates=True)
    assert orders["order_id"].is_unique().all()
    old, new = orders.filter(pl.col("order_id") <= 300), orders.filter(pl.col("order_id") > 300)
    assert new.height == 300
    assert new["updated_at"].min() > old["updated_at"].max()


def test_writing_a_batch_over_existing_files_is_refused_and_changes_nothing(tmp_path):
    write_sample_landing(tmp_path, rows=100)
    before = _files(tmp_path)

    with pytest.raises(FileExistsError, match="start=100"):
        write_sample_landing(tmp_path, rows=100)

    assert _files(tmp_path) == before


@pytest.mark.parametrize(
    ("rows", "start"), [pytest.param(0, 0, id="no-rows"), pytest.param(10, -1, id="negative-start")]
)
def test_sample_landing_rejects_nonsense_arguments(tmp_path, rows, start):
    with pytest.raises(ValueError, match="must be"):
        write_sample_landing(tmp_path, rows=rows, start=start)


def test_the_module_entry_point_writes_a_batch_and_prints_the_counts(tmp_path, capsys):
    main([str(tmp_path), "--rows", "50", "--start", "50"])

    assert capsys.readouterr().out.startswith("customers: 10 rows, orders: 50 rows, order_lines: ")
    assert pl.read_csv(tmp_path / "orders")["order_id"].min() == 51
