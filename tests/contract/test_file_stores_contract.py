"""The file stores (parquet, csv, ndjson) pass the store contract, crashes inside publish too."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import polars as pl
import pytest

import hygge.io.atomic
import hygge.storage.local
from hygge.errors import InjectedFault
from hygge.homes.base import FilePosition, ReadSpec
from hygge.homes.files import LocalHomeConfig
from hygge.storage import LocalStorage
from hygge.stores.base import Store, StoreCapabilities
from hygge.stores.file_publish import RenamePublish
from hygge.stores.file_store import open_file_store
from hygge.stores.files import LocalStoreConfig
from hygge.types import Place, RunType
from tests.contract.store_contract import CrashPublish, OpenStore, ReadPublished, StoreContract
from tests.support.data import orders

ENTITY_PATH = "lake/orders"


def fail_on_call(real: Callable[..., Any], call: int, *, after: bool = False) -> Callable[..., Any]:
    """`real`, except that its `call`-th call raises InjectedFault (before or after working)."""
    count = 0

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal count
        count += 1
        if count == call and not after:
            raise InjectedFault(f"crash before call {call} of {real.__name__}")
        result = real(*args, **kwargs)
        if count == call:
            raise InjectedFault(f"crash after call {call} of {real.__name__}")
        return result

    return wrapper


class FileStoreContract(StoreContract):
    format: ClassVar[str] = "parquet"
    capabilities: ClassVar[StoreCapabilities] = LocalStoreConfig.capabilities
    publish_crash_points = ("first_step", "midway", "midway_without_renameat2", "before_cleanup")

    @pytest.fixture
    def open_store(self, tmp_path: Path) -> OpenStore:
        config = LocalStoreConfig(path=ENTITY_PATH, format=self.format)

        def open_() -> Store:
            store: Store = config.open(Place(tmp_path, "sales", "orders"))
            return store

        return open_

    @pytest.fixture
    def read_published(self, tmp_path: Path) -> ReadPublished:
        def read(schema: pl.Schema) -> pl.DataFrame | None:
            folder = tmp_path / ENTITY_PATH
            if not folder.exists():
                return None
            options = {} if self.format == "parquet" else {"schema": dict(schema)}
            config = LocalHomeConfig(path=ENTITY_PATH, format=self.format, format_options=options)
            home = config.open(Place(tmp_path, "sales", "orders"))
            batches = [b for b, _ in home.read(home.open_window(ReadSpec()), FilePosition())]
            return pl.concat(batches) if batches else pl.DataFrame(schema=schema)

        return read

    @pytest.fixture
    def fill_foreign(self, tmp_path: Path) -> Callable[[], None]:
        def fill() -> None:
            folder = tmp_path / ENTITY_PATH
            folder.mkdir(parents=True)
            frame, path = orders(2), folder / f"old.{self.format}"  # another tool's output
            {"parquet": frame.write_parquet, "csv": frame.write_csv}.get(
                self.format, frame.write_ndjson
            )(path)

        return fill

    @pytest.fixture
    def crash_publish(self, monkeypatch: pytest.MonkeyPatch) -> CrashPublish:
        @contextlib.contextmanager
        def crash(point: str, run_type: RunType) -> Iterator[None]:
            with monkeypatch.context() as patch:
                _arm(patch, point, run_type)
                yield

        return crash


def _arm(patch: pytest.MonkeyPatch, point: str, run_type: RunType) -> None:
    full_drop = run_type is RunType.FULL_DROP
    if point == "first_step" and full_drop:  # before the folder exchange
        patch.setattr(RenamePublish, "_swap_in", fail_on_call(RenamePublish._swap_in, 1))
    elif point == "first_step":  # before the first file moves
        patch.setattr(RenamePublish, "_move", fail_on_call(RenamePublish._move, 1))
    elif point == "midway" and full_drop:  # right after the atomic exchange
        patch.setattr(LocalStorage, "exchange", fail_on_call(LocalStorage.exchange, 1, after=True))
    elif point == "midway":  # one file moved, the others not yet
        patch.setattr(RenamePublish, "_move", fail_on_call(RenamePublish._move, 1, after=True))
    elif point == "midway_without_renameat2":
        patch.setattr(hygge.io.atomic, "_renameat2", lambda src, dst, flags: False)
        if full_drop:  # between renaming the old folder aside and the new one in
            patch.setattr(LocalStorage, "rename", fail_on_call(LocalStorage.rename, 1, after=True))
        else:  # between hard-linking the first file into place and unlinking its staged name
            patch.setattr(hygge.storage.local, "move_no_replace", _link_then_die)
    elif point == "before_cleanup":
        patch.setattr(LocalStorage, "delete_prefix", fail_on_call(LocalStorage.delete_prefix, 1))
    else:
        raise AssertionError(f"unknown crash point {point}")


def _link_then_die(src: Path, dst: Path) -> None:
    dst.hardlink_to(src)
    raise InjectedFault(f"crash after linking {dst}, before unlinking {src}")


class TestParquetStore(FileStoreContract):
    format = "parquet"


class TestCsvStore(FileStoreContract):
    format = "csv"
    unwritable_columns = frozenset({"binary", "duration", "list", "struct"})


class TestNdjsonStore(FileStoreContract):
    format = "ndjson"
    unwritable_columns = frozenset({"binary", "duration"})


class TestParquetStoreThroughLocalStorage(FileStoreContract):
    """The same battery, the store opened from a LocalStorage by its capabilities."""

    format = "parquet"

    @pytest.fixture
    def open_store(self, tmp_path: Path) -> OpenStore:
        config = LocalStoreConfig(path=ENTITY_PATH, format=self.format)
        storage = LocalStorage(tmp_path)

        def open_() -> Store:
            return open_file_store(
                config, Place(tmp_path / "elsewhere", "sales", "orders"), storage
            )

        return open_
