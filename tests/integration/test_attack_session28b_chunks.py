"""Session 28b: one file per native chunk unless `batch_size` is set, attacked with the setting
in one entity of two, tiny chunks, a header-only csv and a later file whose rows are all at or
below the watermark. Each entity's rows land once; the entity without `batch_size` writes one
file per chunk, the one with it files of at most that many rows (a chunk's last file holds
what is left: a file never spans two chunks, as README says)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tests.support.cli import in_process
from tests.support.data import content_hash
from tests.support.workspace import read_lake, write_workspace

FLOW = """\
home: {type: local, path: landing, format: csv}
store: {type: parquet, path: lake}
run_type: incremental
watermark: {column: id}
entities: [{name: orders, store: {batch_size: 5}}, items]
"""


def _files_rows(ws: Path, entity: str) -> list[int]:
    return sorted(pl.read_parquet(p).height for p in (ws / "lake" / entity).glob("*.parquet"))


def _source(ws: Path, entity: str) -> pl.DataFrame:
    frames = [pl.read_csv(p) for p in sorted((ws / "landing" / entity).glob("*.csv"))]
    return pl.concat([f for f in frames if f.height]).unique("id").sort("id")


@pytest.mark.parametrize(("checkpoint_rows", "chunk_rows"), [(1, 3), (7, 6)])
def test_batch_size_on_one_entity_tiny_chunks_empty_and_late_files(
    tmp_path, checkpoint_rows, chunk_rows
):
    """A chunk of csv files holds whole files within its rows (at least one file of 3)."""
    ws = write_workspace(
        tmp_path / "ws",
        {"shop": FLOW},
        f"name: shop\noptions: {{checkpoint_rows: {checkpoint_rows}}}\n",
    )
    for entity in ("orders", "items"):
        folder = ws / "landing" / entity
        folder.mkdir(parents=True)
        for i in range(30):
            ids = [i * 3 + j for j in range(3)]
            pl.DataFrame({"id": ids, "v": [f"x{n}" for n in ids]}).write_csv(
                folder / f"f{i:03d}.csv"
            )
    (ws / "landing" / "orders" / "f999.csv").write_text("id,v\n")  # a header alone

    code, said = in_process(ws, "go")
    assert code == 0, said
    (ws / "landing" / "orders" / "g000.csv").write_text("id,v\n1,late\n2,late\n")
    (ws / "landing" / "orders" / "g001.csv").write_text("id,v\n1000,new\n")
    code, said = in_process(ws, "go")
    assert code == 0, said
    assert "2 at or below the watermark 89 were dropped" in said, said

    for entity in ("orders", "items"):
        lake = read_lake(ws, entity).select("id", "v").sort("id")
        expected = _source(ws, entity).filter(pl.col("v") != "late")
        assert lake.height == expected.height  # every row once
        assert content_hash(lake) == content_hash(expected)
    assert max(_files_rows(ws, "orders")) <= 5
    assert set(_files_rows(ws, "items")) == {chunk_rows}  # one file per chunk
