"""The file homes (parquet, csv, ndjson) pass the home contract."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import polars as pl
import pytest

from hygge.homes.base import Home
from hygge.homes.files import LocalHomeConfig
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
