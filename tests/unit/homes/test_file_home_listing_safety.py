"""File homes: symbolic links are followed once and checked; unreadable sources are not empty."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hygge.errors import DataError
from hygge.homes.base import ReadSpec
from hygge.homes.file_home import FileHome
from hygge.homes.files import LocalHomeConfig
from hygge.storage import LocalStorage
from hygge.types import Place
from tests.support.data import orders


def open_home(root: Path, fmt: str = "parquet") -> FileHome:
    config = LocalHomeConfig(path="landing/orders", format=fmt)
    return FileHome(config, Place(root, "sales", "orders"))


def landing(root: Path) -> Path:
    folder = root / "landing" / "orders"
    folder.mkdir(parents=True)
    return folder


def listed(home: FileHome) -> list[str]:
    return [entry.path for entry in home.open_window(ReadSpec()).files or []]


def test_a_symlinked_folder_inside_a_home_is_followed(tmp_path):
    folder = landing(tmp_path)
    kept = tmp_path / "archive" / "2024"
    kept.mkdir(parents=True)
    orders(2).write_parquet(kept / "a.parquet")
    orders(1).write_parquet(folder / "b.parquet")
    (folder / "old").symlink_to(tmp_path / "archive")
    assert listed(open_home(tmp_path)) == ["b.parquet", "old/2024/a.parquet"]


def test_a_symlink_loop_in_a_home_is_a_data_error_naming_the_link(tmp_path):
    folder = landing(tmp_path)
    orders(1).write_parquet(folder / "a.parquet")
    (folder / "sub").mkdir()
    (folder / "sub" / "back").symlink_to(folder)
    with pytest.raises(DataError) as raised:
        open_home(tmp_path).open_window(ReadSpec())
    assert str(raised.value).startswith(
        f"{folder / 'sub' / 'back'} is the folder {folder} again (through a symbolic link)"
    )


def test_two_links_to_one_folder_are_refused_rather_than_read_twice(tmp_path):
    folder = landing(tmp_path)
    shared = tmp_path / "shared"
    shared.mkdir()
    orders(1).write_parquet(shared / "a.parquet")
    (folder / "one").symlink_to(shared)
    (folder / "two").symlink_to(shared)
    with pytest.raises(DataError, match="two links to one folder whose files would be read twice"):
        list_files(folder, (".parquet",))


def test_a_broken_symlink_is_a_data_error_not_a_raw_os_error_or_a_skip(tmp_path):
    folder = landing(tmp_path)
    orders(1).write_parquet(folder / "a.parquet")
    (folder / "b.parquet").symlink_to(tmp_path / "gone.parquet")
    with pytest.raises(DataError) as raised:
        open_home(tmp_path).open_window(ReadSpec())
    assert str(raised.value).startswith(
        f"{folder / 'b.parquet'} is a symbolic link to {tmp_path / 'gone.parquet'}, which does "
        "not exist"
    )


def test_an_unreadable_sub_folder_is_a_data_error_naming_it(tmp_path, monkeypatch):
    folder = landing(tmp_path)
    locked = folder / "locked"
    locked.mkdir()
    real_scandir = os.scandir

    def scandir(path: Path) -> object:  # tests run as root, who reads every folder
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr("hygge.storage.local.os.scandir", scandir)
    with pytest.raises(DataError, match=f"{locked} cannot be read \\(Permission denied\\)"):
        list_files(folder, (".parquet",))


@pytest.mark.parametrize(
    ("fmt", "names", "readable"),
    [
        pytest.param("csv", ["a.csv.gz", "b.csv.gz"], ".csv", id="gzip"),
        pytest.param("csv", ["notes.txt"], ".csv", id="text"),
        pytest.param("parquet", ["a.csv", "b.csv"], ".parquet", id="csv-in-parquet-home"),
        pytest.param("ndjson", ["a.json"], ".ndjson or .jsonl", id="json"),
    ],
)
def test_a_home_with_files_but_none_readable_fails_naming_them(tmp_path, fmt, names, readable):
    folder = landing(tmp_path)
    for name in names:
        (folder / name).write_text("id\n1\n")
    with pytest.raises(DataError) as raised:
        open_home(tmp_path, fmt).open_window(ReadSpec())
    count = len(names)
    assert str(raised.value).startswith(
        f"home folder {folder} (entity sales.orders) holds {count} file"
        f"{'s' if count != 1 else ''} but none that hygge reads as {fmt} ({readable}): "
        f"{', '.join(names)}. Nothing was moved"
    )


def test_many_unreadable_files_are_counted_and_a_few_named(tmp_path):
    folder = landing(tmp_path)
    for index in range(8):
        (folder / f"part-{index}.gz").write_bytes(b"\x1f\x8b")
    with pytest.raises(DataError, match=r"holds 8 files .*part-4\.gz and 3 more\."):
        open_home(tmp_path, "csv").open_window(ReadSpec())


def test_an_empty_home_folder_is_still_an_empty_source(tmp_path):
    folder = landing(tmp_path)
    (folder / "_SUCCESS").write_text("")  # hidden names are not data, readable or not
    assert listed(open_home(tmp_path)) == []


def list_files(folder: Path, extensions: tuple[str, ...]) -> list[str]:
    """The data files a home lists under `folder` (through the storage seam)."""
    infos = LocalStorage(folder).list(skip_hidden=True)
    return [info.key for info in infos if info.key.endswith(extensions)]
