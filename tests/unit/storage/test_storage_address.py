"""A storage's address tells two places apart where its description may not: two blob
accounts with the same container and path are two stores (the watermark of one must not
carry an incremental run into the other), and a SAS never becomes part of it."""

from __future__ import annotations

from pathlib import Path

from azure.storage.blob import ContainerClient

from hygge.storage.blob import BlobStorage
from hygge.storage.local import LocalStorage
from hygge.storage.memory import MemoryStorage


def _blob(url: str, container: str = "lake", prefix: str = "sales") -> BlobStorage:
    return BlobStorage(ContainerClient(url, container), prefix)


def test_two_accounts_with_the_same_container_and_path_have_two_addresses() -> None:
    dev = _blob("https://devacct.blob.core.windows.net")
    prod = _blob("https://prodacct.blob.core.windows.net")

    assert dev.describe("orders") == prod.describe("orders") == "az://lake/sales/orders"
    assert dev.address("orders") == "https://devacct.blob.core.windows.net/lake/sales/orders"
    assert prod.address("orders") == "https://prodacct.blob.core.windows.net/lake/sales/orders"


def test_a_blob_address_carries_no_sas() -> None:
    storage = _blob("https://acct.blob.core.windows.net/?sv=2024&sig=SECRET")

    assert storage.address("orders") == "https://acct.blob.core.windows.net/lake/sales/orders"


def test_a_local_address_is_the_real_path(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")

    assert LocalStorage(tmp_path / "link").address("x") == str(tmp_path / "real" / "x")


def test_memory_storages_are_told_apart_by_name() -> None:
    assert MemoryStorage("a").address("k") != MemoryStorage("b").address("k")
