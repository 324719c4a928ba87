"""The blob state deletes only the blobs it writes: a clear of a ledger, a margin or a
checkpoint leaves every other blob under its prefix, whatever its name."""

from __future__ import annotations

import uuid

import pytest

from hygge.state.blob import BlobStateBackend
from hygge.storage.blob import container_client
from tests.contract.state_contract import file_record

pytestmark = pytest.mark.azurite

FOREIGN = [
    "files/feed/events/notes.json",  # beside the ledger's shard files
    "files/feed/events/sub/00.json",  # a shard's name, one folder deeper
    "margins-pending/feed/events/notes.txt",  # beside the pending margins
    "checkpoints/feed/events.json.bak",  # next to the checkpoint
    "checkpoints/feed/other.txt",
]


def test_clearing_blob_state_deletes_only_the_blobs_hygge_wrote(azurite, blob_container):
    client = container_client(None, blob_container, connection_string=azurite.connection_string)
    prefix = f"s/{uuid.uuid4().hex[:8]}"
    state = BlobStateBackend(client, prefix, host="h")  # type: ignore[arg-type]
    state.write_file_ledger("feed", "events", [file_record("today.csv")])
    state.save_margin("feed", "events", b"PAR1", "run-1")
    state.save_checkpoint("feed", "events", {"phase": "moving"})
    for key in FOREIGN:
        client.upload_blob(f"{prefix}/{key}", b"not hygge's", overwrite=True)

    assert state.clear_file_ledger("feed", "events") is True
    state.clear_margin("feed", "events")
    state.clear_checkpoint("feed", "events")

    left = sorted(b.name.removeprefix(f"{prefix}/") for b in client.list_blobs(f"{prefix}/"))
    assert [key for key in left if key in FOREIGN] == sorted(FOREIGN)
    assert state.read_file_ledger("feed", "events", ["today.csv"]) == {}
    assert state.load_checkpoint("feed", "events") is None
