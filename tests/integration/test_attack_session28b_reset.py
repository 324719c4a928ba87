"""Session 28b: `hygge reset --keep-data` into a lake the user emptied, attacked with files
of the user's own beside hygge's markers. A README or a `_SUCCESS` left in the entity folder
made the refusal say the store held '1 published file(s)' of rows, so a user who had emptied
the lake could not reset without deleting their own notes. Only files of the store's format
(what its readers read) count now; the user's files stay where they are through the reset,
the appending run and a full_drop."""

from __future__ import annotations

from pathlib import Path

from tests.integration.test_reset_keep_data_held import FLOW, _empty_lake
from tests.support.cli import in_process
from tests.support.data import content_hash, orders
from tests.support.workspace import land, read_lake, write_workspace


def _loaded(tmp_path: Path) -> Path:
    ws = write_workspace(tmp_path / "ws", {"shop": FLOW % "lake"}, "name: shop\n")
    land(ws, "orders", "a", orders(12))
    code, said = in_process(ws, "go")
    assert code == 0, said
    return ws


def _user_files(ws: Path) -> dict[str, str]:
    folder = ws / "lake" / "orders"
    files = {"README.txt": "my notes", "_SUCCESS": "", "notes/2024.md": "# who loads this"}
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return files


def _assert_kept(ws: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        assert (ws / "lake" / "orders" / name).read_text() == text, name


def test_keep_data_counts_only_the_stores_data_files(tmp_path):
    ws = _loaded(tmp_path)
    files = _user_files(ws)
    _empty_lake(ws)  # the user empties the store, as --keep-data asks; their notes stay

    code, said = in_process(ws, "reset", "-f", "shop", "-e", "orders", "--keep-data", "--yes")
    assert code == 0, said  # was refused: 'its store holds 1 published file(s)'

    code, said = in_process(ws, "go")
    assert code == 0, said
    lake = read_lake(ws, "orders")
    assert lake.height == 12
    assert content_hash(lake.select(orders(12).columns)) == content_hash(orders(12))
    _assert_kept(ws, files)


def test_keep_data_still_refuses_while_a_data_file_is_left(tmp_path):
    ws = _loaded(tmp_path)
    _user_files(ws)

    code, said = in_process(ws, "reset", "-f", "shop", "-e", "orders", "--keep-data", "--yes")

    assert code == 1, said
    assert "its store holds 1 published .parquet file(s) in" in said, said
    assert "Nothing was reset" in said, said
    code, said = in_process(ws, "go")
    assert code == 0, said
    assert read_lake(ws, "orders").height == 12  # nothing forgotten: nothing loaded again


def test_the_full_drop_after_a_reset_refuses_and_keeps_the_users_files(tmp_path):
    """The folder exchange of a full_drop deleted README.txt, _SUCCESS and notes/ silently."""
    ws = _loaded(tmp_path)
    files = _user_files(ws)

    code, said = in_process(ws, "reset", "-f", "shop", "-e", "orders", "--yes")
    assert code == 0, said
    code, said = in_process(ws, "go")

    assert code == 1, said
    assert "holds 3 file(s) hygge did not write (README.txt, _SUCCESS, notes/2024.md)" in said
    assert "Move them out of the folder and run again" in said, said
    _assert_kept(ws, files)
    assert read_lake(ws, "orders").height == 12  # the old set still there

    for name in files:
        (ws / "lake" / "orders" / name).unlink()
    code, said = in_process(ws, "go")
    assert code == 0, said
    lake = read_lake(ws, "orders")
    assert content_hash(lake.select(orders(12).columns)) == content_hash(orders(12))


def test_a_full_drop_entity_refuses_a_file_put_in_its_folder(tmp_path):
    ws = write_workspace(
        tmp_path / "ws", {"shop": "home: {type: parquet, path: landing}\nstore: lake\n"
                          "entities: [orders]\n"}, "name: shop\n",
    )  # fmt: skip
    land(ws, "orders", "a", orders(12))
    for _ in range(2):  # its own files, hidden ones and markers are no stranger's
        code, said = in_process(ws, "go")
        assert code == 0, said
    (ws / "lake" / "orders" / ".DS_Store").write_bytes(b"\0")
    code, said = in_process(ws, "go")
    assert code == 0, said
    (ws / "lake" / "orders" / "mine.csv").write_text("a\n1\n")

    code, said = in_process(ws, "go")

    assert code == 1, said
    assert "holds 1 file(s) hygge did not write (mine.csv)" in said, said
    assert (ws / "lake" / "orders" / "mine.csv").read_text() == "a\n1\n"
    assert read_lake(ws, "orders").height == 12
