"""Session 25's attack on the 0-row first run (`empty_tables`) of the SQL stores (postgres,
sqlite, duckdb), as a hostile user: the empty table, then a source whose schema changed (a
column added, a narrower type, a column typed Null, other columns altogether). One entity has
one set of columns: an incremental run refuses the change, naming the file and the reload,
and the reload it advises lands the rows (a Null column has no type yet: rows give it one);
every table compared with the source rows (count and content hash)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from hygge.types import RunStatus, RunType
from tests.integration.test_sql_empty_first_run import FLOW, target  # noqa: F401 (a fixture)
from tests.support.data import content_hash, orders
from tests.support.workspace import land, run, write_workspace

WIDE = pl.Schema({"id": pl.Int64, "customer": pl.String, "amount": pl.Float64,
                  "updated_at": pl.Datetime("us"), "note": pl.String})  # fmt: skip


def _workspace(root: Path, target, run_type: str) -> Path:  # noqa: F811
    project, store, *_ = target
    return write_workspace(root, {"shop": FLOW % (store, run_type)}, project)


def _read(target, schema: pl.Schema) -> pl.DataFrame:  # noqa: F811
    table = target[2](schema)
    assert table is not None, "no table"
    return table


@pytest.mark.parametrize("run_type", ["incremental", "merge"])
def test_an_empty_first_run_then_a_new_column_is_refused_and_the_advised_full_drop_lands_it(
    tmp_path: Path,
    target,  # noqa: F811
    run_type: str,
) -> None:
    root = _workspace(tmp_path / "ws", target, run_type)
    land(root, "orders", "a", orders(3).clear())
    assert run(root).ok
    grown = orders(3).with_columns(pl.col("id").cast(pl.Int32), note=pl.lit("n", pl.String))
    land(root, "orders", "b", grown)

    (refused,) = run(root).results

    assert refused.status is RunStatus.FAIL
    message = refused.message or ""
    assert "b.parquet" in message and "['note']" in message
    assert "hygge go --full-drop --entity shop.orders" in message
    assert _read(target, orders(1).schema).height == 0  # the empty table, as it was
    (reloaded,) = run(root, run_type=RunType.FULL_DROP).results  # the advice, followed
    assert reloaded.status is RunStatus.SUCCESS, reloaded
    assert content_hash(_read(target, WIDE)) == content_hash(grown.cast(WIDE))  # type: ignore[arg-type]
    assert [name for name, _ in target[3]()] == list(WIDE)


def test_an_empty_full_drop_then_one_of_other_columns_replaces_the_empty_table(
    tmp_path: Path,
    target,  # noqa: F811
) -> None:
    root = _workspace(tmp_path / "ws", target, "full_drop")
    land(root, "orders", "a", orders(3).clear())
    assert run(root).ok
    (root / "landing" / "orders" / "a.parquet").unlink()
    other = pl.DataFrame({"id": [1, 2], "updated_at": orders(2)["updated_at"], "x": [0.5, None]})
    land(root, "orders", "b", other)

    again = run(root)

    assert again.ok, again.results
    assert content_hash(_read(target, other.schema)) == content_hash(other)
    assert [name for name, _ in target[3]()] == ["id", "updated_at", "x"]


def test_an_empty_first_run_of_a_null_typed_column_then_numbers_in_it_lands_them_as_numbers(
    tmp_path: Path,
    target,  # noqa: F811
) -> None:
    """A column typed Null in a file of no rows has no type yet: that run creates no table,
    and the first rows give every column its type (the column's ints stay ints)."""
    root = _workspace(tmp_path / "ws", target, "incremental")
    land(root, "orders", "a", orders(3).clear().with_columns(extra=pl.lit(None, pl.Null)))
    assert run(root).ok
    rows = orders(2).with_columns(extra=pl.Series([7, None], dtype=pl.Int64))
    land(root, "orders", "b", rows)

    (landed,) = run(root).results

    assert landed.status is RunStatus.SUCCESS, landed
    assert content_hash(_read(target, rows.schema)) == content_hash(rows)
    assert dict(target[3]())["extra"] in ("INTEGER", "BIGINT", "bigint")
