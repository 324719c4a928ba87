"""LocalStorage and MemoryStorage pass the storage contract."""

from __future__ import annotations

import pytest

from hygge.storage import LocalStorage, MemoryStorage
from tests.contract.storage_contract import StorageContract


class TestLocalStorage(StorageContract):
    @pytest.fixture
    def storage(self, tmp_path):
        return LocalStorage(tmp_path / "root")


class TestMemoryStorage(StorageContract):
    @pytest.fixture
    def storage(self):
        return MemoryStorage()


class TestBlobStorage(StorageContract):
    @pytest.fixture
    def storage(self, azurite, blob_container):
        from hygge.storage.blob import BlobStorage

        return BlobStorage.connect(
            None, blob_container, connection_string=azurite.connection_string
        )
