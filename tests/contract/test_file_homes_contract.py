"""The file homes (parquet, csv, ndjson) pass the home contract."""

from __future__ import annotations

import io
from pathlib import Path
from typing import ClassVar

import polars as pl
import pytest

from hygge.errors import DataError
from hygge.homes.base import Home, ReadSpec
from hygge.homes.file_home import FileHome
from hygge.homes.files import LocalHomeConfig
from hygge.storage import MemoryStorage
from hygge.types import Place
from tests.contract.home_contract import HomeContract, HomeSource
from tests.support.data import all_types


class FileSource:
    """Each added frame becomes one file in `landing/orders/`, named in arrival order."""

    def __init__(self, root: Path, fmt: str) -> None:
        self.root = root
        self.fmt = fmt
        self.folder = root / "landing" / "orders"
        self.folder.mkdir(parents=True)
        self.count = 0

    def add(self, frame: pl.DataFrame) -> None:
        path = self.folder / f"part-{self.count:03d}.{self.fmt}"
        self.count += 1
        if self.fmt == "parquet":
            frame.write_parquet(path, row_group_size=2)  # several row groups per file
        elif self.fmt == "csv":
            frame.write_csv(path)
        else:
            frame.write_ndjson(path)

    def open(self, batch_size: int) -> Home:
        config = LocalHomeConfig(path="landing/orders", format=self.fmt, batch_size=batch_size)
        home: Home = config.open(Place(self.root, "sales", "orders"))
        return home


class FileHomeContract(HomeContract):
    format: ClassVar[str] = "parquet"
    capabilities = LocalHomeConfig.capabilities

    @pytest.fixture
    def source(self, tmp_path: Path) -> HomeSource:
        return FileSource(tmp_path, self.format)


class TestParquetHome(FileHomeContract):
    format = "parquet"
    round_trip_columns = tuple(all_types().columns)


class TestCsvHome(FileHomeContract):
    format = "csv"
    round_trip_columns = ("int64", "float64", "string", "boolean")


class TestNdjsonHome(FileHomeContract):
    format = "ndjson"
    round_trip_columns = ("int64", "float64", "string", "boolean", "list", "struct")


class StorageFileSource:
    """Each added frame becomes one object under `landing/orders/` of a MemoryStorage."""

    def __init__(self, root: Path, fmt: str) -> None:
        self.root = root
        self.fmt = fmt
        self.storage = MemoryStorage("lake")
        self.count = 0

    def add(self, frame: pl.DataFrame) -> None:
        buffer = io.BytesIO()
        if self.fmt == "parquet":
            frame.write_parquet(buffer, row_group_size=2)
        elif self.fmt == "csv":
            frame.write_csv(buffer)
        else:
            frame.write_ndjson(buffer)
        self.storage.put(f"landing/orders/part-{self.count:03d}.{self.fmt}", buffer.getvalue())
        self.count += 1

    def open(self, batch_size: int) -> Home:
        config = LocalHomeConfig(path="landing/orders", format=self.fmt, batch_size=batch_size)
        return FileHome(config, Place(self.root, "sales", "orders"), storage=self.storage)


class StorageFileHomeContract(HomeContract):
    """The same home on object storage (no local paths): read through open_read."""

    format: ClassVar[str] = "parquet"
    capabilities = LocalHomeConfig.capabilities

    @pytest.fixture
    def source(self, tmp_path: Path) -> HomeSource:
        return StorageFileSource(tmp_path, self.format)

    def test_an_empty_source_reads_nothing(self, source):
        """Object storage has no empty folders: an empty prefix is refused as missing, so a
        mistyped path never reads as an empty source (a full_drop would empty the store)."""
        home = source.open(batch_size=10)
        with pytest.raises(DataError, match="memory://lake/landing/orders does not exist"):
            home.open_window(ReadSpec())


class TestParquetHomeOnObjectStorage(StorageFileHomeContract):
    format = "parquet"
    round_trip_columns = tuple(all_types().columns)


class TestCsvHomeOnObjectStorage(StorageFileHomeContract):
    format = "csv"
    round_trip_columns = ("int64", "float64", "string", "boolean")


class TestNdjsonHomeOnObjectStorage(StorageFileHomeContract):
    format = "ndjson"
    round_trip_columns = ("int64", "float64", "string", "boolean", "list", "struct")


class BlobFileHomeContract(StorageFileHomeContract):
    """The same home on Azure blob storage (Azurite, a fresh container per test)."""

    @pytest.fixture
    def source(self, tmp_path: Path, azurite, blob_container) -> HomeSource:
        from hygge.storage.blob import BlobStorage

        source = StorageFileSource(tmp_path, self.format)
        source.storage = BlobStorage.connect(
            None, blob_container, connection_string=azurite.connection_string
        )
        return source

    def test_an_empty_source_reads_nothing(self, source):
        home = source.open(batch_size=10)
        with pytest.raises(DataError, match=rf"{source.storage.label}/landing/orders does not"):
            home.open_window(ReadSpec())


@pytest.mark.azurite
class TestParquetHomeOnBlobStorage(BlobFileHomeContract):
    format = "parquet"
    round_trip_columns = tuple(all_types().columns)


@pytest.mark.azurite
class TestCsvHomeOnBlobStorage(BlobFileHomeContract):
    format = "csv"
    round_trip_columns = ("int64", "float64", "string", "boolean")


@pytest.mark.azurite
class TestNdjsonHomeOnBlobStorage(BlobFileHomeContract):
    format = "ndjson"
    round_trip_columns = ("int64", "float64", "string", "boolean", "list", "struct")
