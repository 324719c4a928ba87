"""The file store on object storage (MemoryStorage: no rename) passes the store contract,
crashes inside publish too: copy-then-switch-then-delete recovers when published again."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import polars as pl
import pytest

from hygge.errors import InjectedFault
from hygge.homes.base import FilePosition, ReadSpec
from hygge.homes.file_home import FileHome
from hygge.homes.files import LocalHomeConfig
from hygge.storage import MemoryStorage
from hygge.stores.azure_files import (
    AdlsStoreConfig,
    AzureStoreConfig,
    BlobStoreConfig,
    OneLakeStoreConfig,
)
from hygge.stores.base import Store, StoreCapabilities
from hygge.stores.file_store import open_file_store
from hygge.stores.files import LocalStoreConfig
from hygge.types import Place, RunType
from tests.contract.store_contract import CrashPublish, OpenStore, ReadPublished, StoreContract
from tests.support.data import orders

ENTITY_PATH = "lake/orders"


def fail_on_call(real: Callable[..., Any], call: int) -> Callable[..., Any]:
    """`real`, except that its `call`-th call raises InjectedFault before doing anything."""
    count = 0

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal count
        count += 1
        if count == call:
            raise InjectedFault(f"crash before call {call} of {real.__name__}")
        return real(*args, **kwargs)

    return wrapper


class ObjectFileStoreContract(StoreContract):
    format: ClassVar[str] = "parquet"
    capabilities: ClassVar[StoreCapabilities] = LocalStoreConfig.capabilities
    publish_crash_points = ("first_copy", "second_copy", "before_switch", "mid_delete")
    entity_path: ClassVar[str] = ENTITY_PATH

    def store_config(self) -> LocalStoreConfig:
        return LocalStoreConfig(path=self.entity_path, format=self.format)

    @pytest.fixture
    def storage(self) -> MemoryStorage:
        return MemoryStorage("lake")

    @pytest.fixture
    def open_store(self, tmp_path: Path, storage: MemoryStorage) -> OpenStore:
        config = self.store_config()

        def open_() -> Store:
            return open_file_store(config, Place(tmp_path, "sales", "orders"), storage)

        return open_

    @pytest.fixture
    def read_published(self, tmp_path: Path, storage: MemoryStorage) -> ReadPublished:
        def read(schema: pl.Schema) -> pl.DataFrame | None:
            if next(iter(storage.list(self.entity_path)), None) is None:
                return None
            options = {} if self.format == "parquet" else {"schema": dict(schema)}
            config = LocalHomeConfig(
                path=self.entity_path, format=self.format, format_options=options
            )
            home = FileHome(config, Place(tmp_path, "sales", "orders"), storage=storage)
            try:
                window = home.open_window(ReadSpec())
            except Exception:  # only markers: nothing readable published
                return pl.DataFrame(schema=schema)
            batches = [b for b, _ in home.read(window, FilePosition())]
            return pl.concat(batches) if batches else pl.DataFrame(schema=schema)

        return read

    @pytest.fixture
    def fill_foreign(self, storage: MemoryStorage) -> Callable[[], None]:
        def fill() -> None:
            buffer = io.BytesIO()
            frame = orders(2)
            {"parquet": frame.write_parquet, "csv": frame.write_csv}.get(
                self.format, frame.write_ndjson
            )(buffer)
            storage.put(f"{self.entity_path}/old.{self.format}", buffer.getvalue())

        return fill

    @pytest.fixture
    def crash_publish(self, monkeypatch: pytest.MonkeyPatch, storage) -> CrashPublish:
        @contextlib.contextmanager
        def crash(point: str, run_type: RunType) -> Iterator[None]:
            with monkeypatch.context() as patch:
                if point in ("first_copy", "second_copy"):
                    call = 1 if point == "first_copy" else 2
                    patch.setattr(storage, "copy", fail_on_call(storage.copy, call))
                elif run_type is RunType.INCREMENTAL:  # no switch: die before the cleanup
                    patch.setattr(storage, "delete_prefix", fail_on_call(storage.delete_prefix, 1))
                elif point == "before_switch":
                    patch.setattr(storage, "put", fail_on_call(storage.put, 1))
                else:
                    patch.setattr(storage, "delete", fail_on_call(storage.delete, 1))
                yield

        return crash


class TestParquetStoreOnObjectStorage(ObjectFileStoreContract):
    format = "parquet"


class TestCsvStoreOnObjectStorage(ObjectFileStoreContract):
    format = "csv"
    unwritable_columns = frozenset({"binary", "duration", "list", "struct"})


class TestNdjsonStoreOnObjectStorage(ObjectFileStoreContract):
    format = "ndjson"
    unwritable_columns = frozenset({"binary", "duration"})


class _OnBlobStorage:
    """The same battery on Azure blob storage (Azurite, a fresh container per test)."""

    @pytest.fixture
    def storage(self, azurite, blob_container):
        from hygge.storage.blob import BlobStorage

        return BlobStorage.connect(
            None, blob_container, connection_string=azurite.connection_string
        )


@pytest.mark.azurite
class TestParquetStoreOnBlobStorage(_OnBlobStorage, ObjectFileStoreContract):
    format = "parquet"


@pytest.mark.azurite
class TestCsvStoreOnBlobStorage(_OnBlobStorage, ObjectFileStoreContract):
    format = "csv"
    unwritable_columns = frozenset({"binary", "duration", "list", "struct"})


@pytest.mark.azurite
class TestNdjsonStoreOnBlobStorage(_OnBlobStorage, ObjectFileStoreContract):
    format = "ndjson"
    unwritable_columns = frozenset({"binary", "duration"})


class _AzureStoreType(_OnBlobStorage, ObjectFileStoreContract):
    """An adls, onelake or blob store block (its own config class, capabilities and owner
    label) on Azurite; the store gets the test's storage so the crash points can hit it."""

    kind: ClassVar[type[AzureStoreConfig]]
    capabilities: ClassVar[StoreCapabilities] = AzureStoreConfig.capabilities

    def store_config(self) -> LocalStoreConfig:
        return self.kind(
            path=self.entity_path,
            account_url="http://127.0.0.1:10000/devstoreaccount1",
            filesystem="lake",
            credential="storage_key",
            storage_account_key="${AZURITE_KEY}",
        )


@pytest.mark.azurite
class TestAdlsStore(_AzureStoreType):
    kind = AdlsStoreConfig


@pytest.mark.azurite
class TestOneLakeStore(_AzureStoreType):
    kind = OneLakeStoreConfig
    entity_path = "sales.Lakehouse/Files/dbo.schema/orders"


@pytest.mark.azurite
class TestBlobStore(_AzureStoreType):
    kind = BlobStoreConfig
