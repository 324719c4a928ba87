"""Session 28b: the incremental begin that lists, then counts only the files it reads, attacked
with links. A new symbolic link in the home to a file of the entity's own store is refused
naming both (its rows would be read back and doubled), and loads once after it is removed; a
loaded file replaced by a link to an identical copy is recognised as the same content, not
read again."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.support.cli import in_process
from tests.support.data import content_hash, orders
from tests.support.workspace import land, read_lake, write_workspace

FLOW = (
    "home: {type: parquet, path: landing}\nstore: lake\nrun_type: incremental\nentities: [orders]\n"
)


def _loaded(tmp_path: Path) -> Path:
    ws = write_workspace(tmp_path / "ws", {"shop": FLOW}, "name: shop\n")
    land(ws, "orders", "a", orders(12))
    code, said = in_process(ws, "go")
    assert code == 0, said
    return ws


def test_a_new_link_into_the_own_store_is_refused_then_nothing_doubles(tmp_path):
    ws = _loaded(tmp_path)
    published = sorted((ws / "lake" / "orders").glob("*.parquet"))[0]
    link = ws / "landing" / "orders" / "b.parquet"
    link.symlink_to(published)

    code, said = in_process(ws, "go")

    assert code == 1, said
    assert f"{link} is in {ws / 'lake' / 'orders'}, its own store folder" in said, said
    assert "Nothing was moved; remove the link from the home" in said, said
    assert read_lake(ws, "orders").height == 12

    link.unlink()
    code, said = in_process(ws, "go")
    assert code == 0, said
    lake = read_lake(ws, "orders")
    assert content_hash(lake.select(orders(12).columns)) == content_hash(orders(12))


def test_a_loaded_file_replaced_by_a_link_to_its_copy_is_not_read_again(tmp_path):
    ws = _loaded(tmp_path)
    loaded = next((ws / "landing" / "orders").glob("*.parquet"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy2(loaded, elsewhere / loaded.name)
    loaded.unlink()
    loaded.symlink_to(elsewhere / loaded.name)

    code, said = in_process(ws, "go")

    assert code == 0, said
    assert "(same content): not rea" in said, said
    assert read_lake(ws, "orders").height == 12
