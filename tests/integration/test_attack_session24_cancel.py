"""Session 24's attack on the durable cancel marker: garbage read by a run that names no
`since` (an older payload's), a marker whose body names another run."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def marker_storage(monkeypatch):  # type: ignore[no-untyped-def]
    from hygge.config.source import StorageWorkspaceSource
    from hygge.functions import cancel_marker
    from hygge.storage.memory import MemoryStorage

    source = StorageWorkspaceSource(MemoryStorage(), "ws")
    monkeypatch.setattr(cancel_marker, "_source", lambda workspace, env: source)
    return source


@pytest.mark.parametrize(
    "body",
    [b"[]", b"null", b"5", b'"text"', b"{}", b'{"requested_at": "yesterday"}'],
    ids=["list", "null", "number", "string", "no-time", "bad-time"],
)
def test_a_garbage_marker_is_no_cancel_even_for_a_run_naming_no_since(marker_storage, body):
    from hygge.functions.cancel_marker import cancel_requested, marker_key

    marker_storage.storage.put(marker_key(marker_storage.prefix, "hygge-run-x"), body)

    assert cancel_requested("az://x/ws", "hygge-run-x", since="") is False


def test_a_marker_naming_another_run_is_not_this_runs_cancel(marker_storage):
    from hygge.functions.cancel_marker import cancel_requested, marker_key, write_marker

    write_marker("az://x/ws", "hygge-run-b")
    theirs = marker_storage.storage.open_read(
        marker_key(marker_storage.prefix, "hygge-run-b")
    ).read()
    marker_storage.storage.put(marker_key(marker_storage.prefix, "hygge-run-a"), theirs)

    assert cancel_requested("az://x/ws", "hygge-run-a") is False  # a copy under another name
    assert cancel_requested("az://x/ws", "hygge-run-b") is True


def test_a_real_marker_cancels_with_and_without_since(marker_storage):
    from hygge.functions.cancel_marker import cancel_requested, marker_key, write_marker

    write_marker("az://x/ws", "hygge-run-a")
    body = json.loads(
        marker_storage.storage.open_read(marker_key(marker_storage.prefix, "hygge-run-a")).read()
    )
    assert body["run_id"] == "hygge-run-a"
    assert cancel_requested("az://x/ws", "hygge-run-a") is True
    assert cancel_requested("az://x/ws", "hygge-run-a", since="2020-01-01T00:00:00Z") is True
