"""BlobStorage against Azurite, beyond the storage contract: big blobs in blocks, reads that
stream and notice a replaced blob, ADLS directory entries, retries, and the errors it raises."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tracemalloc

import pytest

from hygge.errors import ConfigError, DataError, RetryableError
from hygge.storage import PreconditionFailedError
from hygge.storage.blob import BLOCK_SIZE, BlobStorage, account_name, retry_policy
from hygge.storage.blob_client import container_client
from hygge.storage.blob_errors import BlobErrors
from tests.support.flaky_proxy import FlakyProxy

pytestmark = pytest.mark.azurite
MiB = 1024 * 1024


@pytest.fixture
def storage(azurite, blob_container) -> BlobStorage:
    return BlobStorage.connect(None, blob_container, connection_string=azurite.connection_string)


def _key_credential():
    from azure.core.credentials import AzureNamedKeyCredential

    from tests.support.azurite import ACCOUNT, KEY

    return AzureNamedKeyCredential(ACCOUNT, KEY)


def test_a_blob_bigger_than_a_block_is_put_in_blocks_and_read_back(storage):
    data = os.urandom(3 * BLOCK_SIZE + 12345)

    info = storage.put("big/blob.bin", io.BytesIO(data))

    assert info == storage.stat("big/blob.bin") and info.size == len(data)
    blocks = storage.client.get_blob_client("big/blob.bin").get_block_list()[0]
    assert len(blocks) >= 4  # committed as blocks, in one Put Block List
    with storage.open_read("big/blob.bin") as handle:
        assert handle.read() == data
    assert storage.read_range("big/blob.bin", BLOCK_SIZE - 2, 4) == data[BLOCK_SIZE - 2 :][:4]


def test_a_big_put_if_absent_or_if_match_loses_without_touching_the_blob(storage):
    first = storage.put("big.bin", os.urandom(2 * BLOCK_SIZE))
    with pytest.raises(PreconditionFailedError, match="already exists"):
        storage.put("big.bin", os.urandom(2 * BLOCK_SIZE), if_absent=True)
    with pytest.raises(PreconditionFailedError, match="another writer"):
        storage.put("big.bin", os.urandom(2 * BLOCK_SIZE), if_match='"0x1"')
    assert storage.stat("big.bin") == first


def test_a_stream_of_unknown_size_is_put_and_counted(storage):
    class Pipe(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.inner = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, target) -> int:
            return self.inner.readinto(target)

    data = os.urandom(BLOCK_SIZE + 10)
    info = storage.put("pipe.bin", Pipe(data))

    assert info.size == len(data) == storage.stat("pipe.bin").size


def _peak_while_streaming(storage, key: str) -> int:
    total = 0
    tracemalloc.start()
    try:
        with storage.open_read(key) as handle:
            while chunk := handle.read(MiB):
                total += len(chunk)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert total == storage.stat(key).size
    return peak


def test_open_read_streams_with_memory_that_does_not_grow_with_the_blob(storage):
    storage.put("small.bin", io.BytesIO(b"z" * (16 * MiB)))
    storage.put("large.bin", io.BytesIO(b"z" * (96 * MiB)))

    small = _peak_while_streaming(storage, "small.bin")
    large = _peak_while_streaming(storage, "large.bin")

    assert large < small + 8 * MiB, f"peaks {small / MiB:.0f} and {large / MiB:.0f} MiB"
    assert large < 64 * MiB


def test_a_blob_replaced_during_a_read_fails_the_read(storage):
    storage.put("moving.bin", b"a" * (12 * MiB))
    handle = storage.open_read("moving.bin")
    handle.read(1024)
    storage.put("moving.bin", b"b" * (12 * MiB))

    with pytest.raises(DataError, match="changed while hygge read it"):
        handle.read()


def test_adls_directory_entries_are_not_objects(storage):
    folder = storage.client.get_blob_client("lake/orders")
    folder.upload_blob(b"", metadata={"hdi_isfolder": "true"})
    storage.put("lake/orders/part-1.parquet", b"1")

    assert [i.key for i in storage.list("lake")] == ["lake/orders/part-1.parquet"]
    assert storage.stat("lake/orders") is None


def test_a_prefix_scopes_every_key(azurite, blob_container):
    outer = BlobStorage.connect(None, blob_container, connection_string=azurite.connection_string)
    inner = BlobStorage(outer.client, "ws/one")
    inner.put("a/b.bin", b"1")
    outer.put("ws/other.bin", b"2")

    assert [i.key for i in inner.list()] == ["a/b.bin"]
    assert [i.key for i in outer.list("ws/one")] == ["ws/one/a/b.bin"]
    assert inner.describe("a/b.bin") == f"az://{blob_container}/ws/one/a/b.bin"
    assert inner.delete_prefix("") == 1 and outer.stat("ws/other.bin") is not None


def _through(proxy, container, *, retries, read_timeout=20.0, identity="the test's key"):
    """A BlobStorage that reaches Azurite through `proxy`, retrying at once."""
    client = container_client(
        proxy.account_url,
        container,
        credential=_key_credential(),
        retry=retry_policy(total=retries, initial_backoff=0, increment_base=0),
        read_timeout=read_timeout,
    )
    return BlobStorage(client, identity=identity)


@pytest.mark.parametrize("how", ["503", "500", "429", "reset", "slow"])
def test_transient_failures_are_retried_with_backoff(azurite, blob_container, how):
    with FlakyProxy(azurite.port, fail=2, how=how, delay=3) as proxy:
        storage = _through(proxy, blob_container, retries=3, read_timeout=1)
        info = storage.put("r.bin", b"retried")
        assert storage.stat("r.bin") == info

    assert proxy.failed == 2 and proxy.forwarded == 2


@pytest.mark.parametrize(("how", "code"), [("503", "ServerBusy"), ("429", "TooManyRequests")])
def test_a_failure_that_outlasts_the_retries_is_retryable_and_names_the_blob(
    azurite, blob_container, how, code
):
    with FlakyProxy(azurite.port, fail=100, how=how) as proxy:
        storage = _through(proxy, blob_container, retries=2)
        with pytest.raises(
            RetryableError, match=rf"az://{blob_container}/r\.bin.*HTTP {how} {code}"
        ):
            storage.put("r.bin", b"never")

    assert proxy.failed == 3  # the first attempt and two retries


def test_a_403_is_not_retried_and_names_the_identity_and_the_role(azurite, blob_container):
    with FlakyProxy(azurite.port, fail=1, how="403") as proxy:
        storage = _through(proxy, blob_container, retries=3, identity="the managed identity m1")
        with pytest.raises(ConfigError) as raised:
            storage.put("r.bin", b"denied")

    message = f"{raised.value} {raised.value.hint}"
    assert "the managed identity m1" in message and "HTTP 403" in message
    assert "Storage Blob Data Contributor" in message and blob_container in message
    assert proxy.failed == 1 and proxy.forwarded == 0


def test_a_404_names_the_container_and_the_path(azurite, blob_container):
    with FlakyProxy(azurite.port, fail=0) as proxy:
        storage = _through(proxy, blob_container, retries=1)
        with pytest.raises(FileNotFoundError, match=rf"az://{blob_container}/no/such\.bin"):
            storage.open_read("no/such.bin")


def test_a_403_from_onelake_names_the_workspace_role():
    from azure.core.exceptions import HttpResponseError

    errors = BlobErrors(
        "onelake",
        "Analytics",
        "the service principal c1 of tenant t1",
        "https://onelake.blob.fabric.microsoft.com/Analytics",
        onelake=True,
    )
    denied = HttpResponseError(message="denied")
    denied.status_code = 403
    with pytest.raises(ConfigError) as raised:
        errors.fail(denied, "write", "az://Analytics/sales.Lakehouse/Files/x", on_blob=True)

    message = f"{raised.value} {raised.value.hint}"
    assert "Fabric workspace 'Analytics'" in message and "Contributor" in message
    assert "the service principal c1 of tenant t1" in message
    assert "Storage Blob Data" not in message


def test_a_missing_container_is_named_not_taken_for_a_missing_blob(azurite):
    storage = BlobStorage.connect(
        None, "gone-container", connection_string=azurite.connection_string
    )

    for action in (
        lambda: storage.stat("x.bin"),
        lambda: list(storage.list()),
        lambda: storage.put("x.bin", b"1"),
        lambda: storage.delete("x.bin"),
    ):
        with pytest.raises(ConfigError, match="no container 'gone-container' of storage account"):
            action()


def test_the_account_name_comes_from_the_endpoint():
    assert account_name("https://acct.blob.core.windows.net") == "acct"
    assert account_name("https://acct.dfs.core.windows.net/") == "acct"
    assert account_name("https://onelake.blob.fabric.microsoft.com") == "onelake"
    assert account_name("http://127.0.0.1:10000/devstoreaccount1") == "devstoreaccount1"


def test_loading_the_cli_and_the_blob_module_imports_no_azure_package():
    code = (
        "import sys, hygge.cli, hygge.storage.connect, hygge.storage.blob, "
        "hygge.storage.blob_credentials, hygge.storage.blob_errors; "
        "print([m for m in sys.modules if m.startswith('azure')])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
