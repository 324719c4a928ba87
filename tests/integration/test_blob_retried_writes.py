"""A conditional write whose response was lost and that the SDK sent again: the retry is
refused by the write it repeats (the blob exists / its ETag moved). The blob state and the
blob storage must count it as done, not as another writer's: else a run's own checkpoint swap
reads as being fenced out, and a store's own marker as someone else's."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from azure.storage.blob import BlobClient

from hygge.state.blob import BlobStateBackend
from hygge.storage.base import PreconditionFailedError
from hygge.storage.blob import BlobStorage, container_client

pytestmark = pytest.mark.azurite


@pytest.fixture
def state(azurite, blob_container) -> BlobStateBackend:
    client = container_client(None, blob_container, connection_string=azurite.connection_string)
    return BlobStateBackend(client, f"s/{uuid.uuid4().hex[:8]}", host="h")


@pytest.fixture
def sent_twice(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every upload goes to the service twice, as when the first response was lost."""
    real = BlobClient.upload_blob
    sent: list[str] = []

    def twice(self: BlobClient, data: Any, *args: Any, **kwargs: Any) -> Any:
        real(self, data, *args, **kwargs)
        sent.append(self.blob_name)
        return real(self, data, *args, **kwargs)

    monkeypatch.setattr(BlobClient, "upload_blob", twice)
    return sent


def test_a_retried_checkpoint_swap_counts_as_done(state: BlobStateBackend, sent_twice) -> None:
    state.save_checkpoint("f", "e", {"generation": 1, "rows": 10})
    assert state.replace_checkpoint("f", "e", {"generation": 2, "rows": 20}, 1)
    assert state.load_checkpoint("f", "e") == {"generation": 2, "rows": 20}
    assert any(name.endswith("checkpoints/f/e.json") for name in sent_twice)


def test_a_swap_another_writer_won_is_still_refused(state: BlobStateBackend) -> None:
    state.save_checkpoint("f", "e", {"generation": 1, "rows": 10})
    other = BlobStateBackend(state.client, state.prefix, host="other")
    assert other.replace_checkpoint("f", "e", {"generation": 2, "rows": 99}, 1)

    assert not state.replace_checkpoint("f", "e", {"generation": 2, "rows": 20}, 1)
    assert state.load_checkpoint("f", "e") == {"generation": 2, "rows": 99}


@pytest.fixture
def storage(azurite, blob_container) -> BlobStorage:
    return BlobStorage.connect(None, blob_container, connection_string=azurite.connection_string)


def test_a_retried_put_if_absent_of_bytes_counts_as_done(storage: BlobStorage, sent_twice) -> None:
    key = f"p/{uuid.uuid4().hex}/marker.json"
    info = storage.put(key, b'{"run": 1}', if_absent=True)
    assert info.size == 10
    assert storage.read_range(key, 0, 10) == b'{"run": 1}'


def test_a_retried_put_if_match_counts_as_done(storage: BlobStorage, sent_twice) -> None:
    key = f"p/{uuid.uuid4().hex}/manifest.json"
    first = storage.put(key, b"one", if_absent=True)
    assert storage.put(key, b"two", if_match=first.version).size == 3


def test_a_put_if_absent_over_other_bytes_is_still_refused(storage: BlobStorage) -> None:
    key = f"p/{uuid.uuid4().hex}/marker.json"
    storage.put(key, b"theirs", if_absent=True)
    with pytest.raises(PreconditionFailedError, match="already exists"):
        storage.put(key, b"mine!!", if_absent=True)
