"""A file home on object storage: located, listed and change-checked through ObjectInfo."""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
import pytest

from hygge.errors import DataError
from hygge.homes.base import FilePosition, ReadSpec
from hygge.homes.file_home import FileHome
from hygge.homes.files import LocalHomeConfig
from hygge.storage import MemoryStorage
from hygge.types import Place


def _csv(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_csv(buffer)
    return buffer.getvalue()


def _home(storage, path, fmt="csv"):
    config = LocalHomeConfig(path=path, format=fmt, batch_size=10)
    return FileHome(config, Place(Path("/unused"), "sales", "orders"), storage=storage)


def test_a_single_object_named_without_its_extension_is_the_home():
    storage = MemoryStorage()
    storage.put("landing/orders.csv", _csv(pl.DataFrame({"id": [1, 2]})))
    home = _home(storage, "landing/orders")

    window = home.open_window(ReadSpec())
    rows = [batch for batch, _ in home.read(window, FilePosition())]

    assert [f.path for f in window.files] == ["orders.csv"]
    assert pl.concat(rows)["id"].to_list() == [1, 2]


def test_hidden_objects_and_staging_prefixes_are_not_read():
    storage = MemoryStorage()
    storage.put("landing/a.csv", _csv(pl.DataFrame({"id": [1]})))
    storage.put("landing/_staging/b.csv", _csv(pl.DataFrame({"id": [2]})))
    storage.put("landing/.partial.csv", b"id\n3\n")

    window = _home(storage, "landing").open_window(ReadSpec())

    assert [f.path for f in window.files] == ["a.csv"]


def test_an_object_replaced_during_the_run_fails_naming_its_uri():
    storage = MemoryStorage("lake")
    storage.put("landing/a.csv", _csv(pl.DataFrame({"id": [1]})))
    home = _home(storage, "landing")
    window = home.open_window(ReadSpec())
    storage.put("landing/a.csv", _csv(pl.DataFrame({"id": [1, 2, 3]})))

    with pytest.raises(DataError, match=r"memory://lake/landing/a.csv changed during the run"):
        list(home.read(window, FilePosition()))


def test_a_prefix_with_only_unreadable_formats_is_a_data_error_not_an_empty_source():
    storage = MemoryStorage("lake")
    storage.put("landing/a.csv.gz", b"\x1f\x8b")

    with pytest.raises(DataError, match="none that hygge reads"):
        _home(storage, "landing").open_window(ReadSpec())
