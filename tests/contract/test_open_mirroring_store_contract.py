"""The Open Mirroring store passes the store contract: on a local landing zone (renames), on
object storage without renames (MemoryStorage: copy then delete) and on Azurite; keyed
(upsert markers) and unkeyed (inserts). `read_published` checks the landing zone against the
spec and replays its row markers the way Fabric does, so every test here runs the checker."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import polars as pl
import pytest

from hygge.errors import InjectedFault
from hygge.storage import LocalStorage, MemoryStorage, ObjectStorage
from hygge.stores.base import Store
from hygge.stores.open_mirroring import OpenMirroringStoreConfig
from hygge.stores.open_mirroring.publish import Publisher
from hygge.stores.open_mirroring.store import OpenMirroringStore
from hygge.types import Place, RunType
from tests.contract.store_contract import CrashPublish, OpenStore, ReadPublished, StoreContract
from tests.support.data import orders
from tests.support.open_mirroring_checker import assert_valid, replay

LANDING = "sales.MountedRelationalDatabase/Files/LandingZone"
TABLE = f"{LANDING}/orders"
CRASH_POINTS = ("after_plan", "mid_clear", "first_land", "second_land", "before_commit")


def fail_on_call(real: Callable[..., Any], call: int) -> Callable[..., Any]:
    """`real`, except that its `call`-th call raises InjectedFault before doing anything."""
    count = 0

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal count
        count += 1
        if count == call:
            raise InjectedFault(f"crash before call {call} of {getattr(real, '__name__', real)}")
        return real(*args, **kwargs)

    return wrapper


class OpenMirroringContract(StoreContract):
    capabilities = OpenMirroringStoreConfig.capabilities
    unwritable_columns = frozenset({"null", "uint64", "duration", "list", "struct"})
    publish_crash_points = CRASH_POINTS
    key_columns: ClassVar[list[str]] = ["id"]

    def config(self) -> OpenMirroringStoreConfig:
        return OpenMirroringStoreConfig(
            path="unused", key_columns=self.key_columns, folder_deletion_wait_seconds=0
        )

    @pytest.fixture
    def storage(self) -> ObjectStorage:
        return MemoryStorage("lake")

    @pytest.fixture
    def open_store(self, tmp_path: Path, storage: ObjectStorage) -> OpenStore:
        config, place = self.config(), Place(tmp_path, "sales", "orders", workspace="test")

        def open_() -> Store:
            return OpenMirroringStore(config, place, storage, LANDING)

        return open_

    @pytest.fixture
    def read_published(self, storage: ObjectStorage) -> ReadPublished:
        def read(schema: pl.Schema) -> pl.DataFrame | None:
            assert_valid(storage, LANDING)  # the spec checker, on every read
            return replay(storage, TABLE)

        return read

    @pytest.fixture
    def fill_foreign(self, storage: ObjectStorage) -> Callable[[], None]:
        def fill() -> None:
            buffer = io.BytesIO()
            orders(2).with_columns(__rowMarker__=pl.lit(0, pl.Int32)).write_parquet(buffer)
            storage.put(f"{TABLE}/00000000000000000001.parquet", buffer.getvalue())
            storage.put(f"{TABLE}/_metadata.json", b'{"keyColumns": ["id"]}')

        return fill

    @pytest.fixture
    def crash_publish(self, monkeypatch: pytest.MonkeyPatch, storage) -> CrashPublish:
        @contextlib.contextmanager
        def crash(point: str, run_type: RunType) -> Iterator[None]:
            with monkeypatch.context() as patch:
                if point == "after_plan":
                    patch.setattr(Publisher, "_table_files", fail_on_call(lambda *a: None, 1))
                elif point == "mid_clear" and run_type is RunType.FULL_DROP:
                    patch.setattr(storage, "delete", fail_on_call(storage.delete, 2))
                elif point in ("mid_clear", "first_land"):
                    patch.setattr(Publisher, "_land", fail_on_call(Publisher._land, 1))
                elif point == "second_land":
                    patch.setattr(Publisher, "_land", fail_on_call(Publisher._land, 2))
                else:
                    patch.setattr(Publisher, "_commit", fail_on_call(Publisher._commit, 1))
                yield

        return crash


class TestKeyedOnObjectStorage(OpenMirroringContract):
    """Upserts by `id`, landed by copy and delete (no renames)."""


class TestUnkeyedOnObjectStorage(OpenMirroringContract):
    """Inserts only (no keyColumns)."""

    key_columns: ClassVar[list[str]] = []


class TestKeyedOnALocalLandingZone(OpenMirroringContract):
    """A local folder standing for the landing zone: files land by rename."""

    @pytest.fixture
    def storage(self, tmp_path: Path) -> ObjectStorage:
        return LocalStorage(tmp_path / "onelake")


@pytest.mark.azurite
class TestKeyedOnAzurite(OpenMirroringContract):
    """The landing zone in a blob container (Azurite), as in OneLake."""

    @pytest.fixture
    def storage(self, azurite, blob_container) -> ObjectStorage:
        from hygge.storage.blob import BlobStorage

        return BlobStorage.connect(
            None, blob_container, connection_string=azurite.connection_string
        )
