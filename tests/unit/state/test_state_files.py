"""Watermarks and checkpoints: one atomic JSON file per entity, read in O(1)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import hygge.io.atomic
import hygge.state.atomic
from hygge.errors import StateError
from hygge.state.atomic import write_atomic
from hygge.state.base import Watermark
from hygge.state.local import LocalStateBackend
from hygge.state.lock_rules import DEFAULT_STALE_AFTER

WATERMARK = Watermark(column="updated_at", value="2025-03-01T00:00:00+00:00", value_type="datetime")


def _temp_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.endswith(".tmp")]


_opened: list[list[str]] = []


_FILE_EVENTS = {"open", "os.listdir", "os.scandir", "glob.glob"}


def _record_file_access(event: str, args: tuple[Any, ...]) -> None:
    if event in _FILE_EVENTS and _opened:
        _opened[-1].append(str(args[0]))


# Audit hooks cannot be removed; this one records only inside `_opens_under`.
sys.addaudithook(_record_file_access)


@contextmanager
def _opens_under(root: Path) -> Iterator[list[str]]:
    """Collect the files and folders under `root` that the block opens or lists."""
    seen: list[str] = []
    _opened.append(seen)
    try:
        yield seen
    finally:
        _opened.pop()
        seen[:] = [p for p in seen if p.startswith(str(root))]


def test_watermark_round_trips_through_its_own_file(backend, state_dir):
    backend.set_watermark("orders", "customers", WATERMARK)

    assert backend.get_watermark("orders", "customers") == WATERMARK
    assert (state_dir / "watermarks" / "orders" / "customers.json").is_file()


def test_setting_a_watermark_replaces_the_previous_one(backend):
    backend.set_watermark("orders", "customers", WATERMARK)
    newer = WATERMARK.model_copy(update={"value": "2025-03-02T00:00:00+00:00"})

    backend.set_watermark("orders", "customers", newer)

    assert backend.get_watermark("orders", "customers") == newer


def test_missing_state_reads_as_none(backend):
    assert backend.get_watermark("orders", "customers") is None
    assert backend.load_checkpoint("orders", "customers") is None
    assert backend.list_watermarks() == {}
    assert backend.list_checkpoints() == {}


def test_clearing_a_watermark_says_whether_there_was_one(backend):
    backend.set_watermark("orders", "customers", WATERMARK)

    assert backend.clear_watermark("orders", "customers") is True
    assert backend.clear_watermark("orders", "customers") is False
    assert backend.get_watermark("orders", "customers") is None


def test_checkpoint_round_trips_and_clears(backend, state_dir):
    checkpoint = {"position": {"file_index": 2, "row_offset": 100}, "rows": 7, "done": False}
    backend.save_checkpoint("orders", "customers", checkpoint)

    assert backend.load_checkpoint("orders", "customers") == checkpoint
    assert (state_dir / "checkpoints" / "orders" / "customers.json").is_file()

    backend.clear_checkpoint("orders", "customers")
    backend.clear_checkpoint("orders", "customers")  # clearing twice is fine

    assert backend.load_checkpoint("orders", "customers") is None


def test_checkpoint_is_written_as_one_compact_line(backend, state_dir):
    backend.save_checkpoint("orders", "customers", {"position": {"file_index": 2}, "done": False})

    text = (state_dir / "checkpoints" / "orders" / "customers.json").read_text()
    assert text == '{"position":{"file_index":2},"done":false}'


def test_checkpoint_written_indented_by_an_earlier_version_still_loads(backend, state_dir):
    checkpoint = {"position": {"file_index": 2, "row_offset": 100}, "rows": 7, "done": False}
    path = state_dir / "checkpoints" / "orders" / "customers.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(checkpoint, indent=2))

    assert backend.load_checkpoint("orders", "customers") == checkpoint
    assert backend.replace_checkpoint("orders", "customers", {"generation": 1}, 0)


def test_writes_leave_no_temp_files(backend, state_dir, make_row):
    for n in range(5):
        backend.set_watermark("orders", f"e{n}", WATERMARK)
        backend.save_checkpoint("orders", f"e{n}", {"n": n})
        backend.acquire_lock("orders", f"e{n}", "run1")
        backend.refresh_lock("orders", f"e{n}", "run1")
        backend.append_journal(make_row(entity=f"e{n}"))

    assert _temp_files(state_dir) == []


def test_failed_write_raises_state_error_and_leaves_no_temp_file(backend, state_dir):
    target = state_dir / "watermarks" / "orders" / "customers.json"
    target.mkdir(parents=True)  # a folder where the file should go: the rename must fail

    with pytest.raises(StateError, match=r"cannot write state file .*customers\.json"):
        backend.set_watermark("orders", "customers", WATERMARK)

    assert _temp_files(state_dir) == []


def test_checkpoint_that_is_not_json_is_refused_and_the_previous_one_kept(backend):
    backend.save_checkpoint("orders", "customers", {"rows": 1})

    with pytest.raises(StateError, match=r"checkpoint of orders\.customers is not plain JSON"):
        backend.save_checkpoint("orders", "customers", {"rows": float("nan")})

    assert backend.load_checkpoint("orders", "customers") == {"rows": 1}


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b'{"column": "updated_at", "val', id="torn-write"),
        pytest.param(b"", id="empty"),
        pytest.param(b'["not", "an", "object"]', id="wrong-shape"),
        pytest.param(b'{"column": 5}', id="wrong-type"),
    ],
)
def test_corrupt_watermark_raises_state_error_naming_the_file(backend, state_dir, content):
    path = state_dir / "watermarks" / "orders" / "customers.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(content)

    with pytest.raises(StateError) as caught:
        backend.get_watermark("orders", "customers")

    assert str(path) in str(caught.value)
    assert "hygge reset --flow orders --entity customers" in str(caught.value)
    assert "Delete it" not in str(caught.value)
    with pytest.raises(StateError, match=r"customers\.json"):
        backend.list_watermarks()


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b'{"rows": ', id="torn-write"),
        pytest.param(b"[1, 2]", id="not-an-object"),
    ],
)
def test_corrupt_checkpoint_raises_state_error_naming_the_file(backend, state_dir, content):
    path = state_dir / "checkpoints" / "orders" / "customers.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(content)

    with pytest.raises(StateError) as caught:
        backend.load_checkpoint("orders", "customers")

    assert str(path) in str(caught.value)
    assert "hygge go --full-drop --entity orders.customers" in str(caught.value)


def test_watermark_read_opens_one_file_whatever_the_journal_size(backend, state_dir, make_row):
    backend.set_watermark("orders", "customers", WATERMARK)
    backend.append_journal(make_row())
    with _opens_under(state_dir) as few_runs:
        backend.get_watermark("orders", "customers")

    for n in range(40):
        backend.append_journal(make_row(entity_run_id=f"run{n + 2}"))
    with _opens_under(state_dir) as many_runs:
        backend.get_watermark("orders", "customers")

    expected = [str(state_dir / "watermarks" / "orders" / "customers.json")]
    assert few_runs == many_runs == expected


def test_watermark_read_does_not_depend_on_the_journal(backend, state_dir, make_row):
    backend.set_watermark("orders", "customers", WATERMARK)
    backend.append_journal(make_row())
    (state_dir / "journal" / "orders" / "customers" / "broken.parquet").write_bytes(b"junk")

    with pytest.raises(StateError):
        backend.read_journal()
    assert backend.get_watermark("orders", "customers") == WATERMARK


def test_listings_are_keyed_by_flow_dot_entity_and_skip_temp_files(backend, state_dir):
    backend.set_watermark("orders", "customers", WATERMARK)
    backend.set_watermark("billing", "invoices", WATERMARK)
    backend.save_checkpoint("orders", "lines", {"rows": 3})
    (state_dir / "watermarks" / "orders" / ".customers.json.0a1b2c.tmp").write_text("{")

    assert backend.list_watermarks() == {
        "billing.invoices": WATERMARK,
        "orders.customers": WATERMARK,
    }
    assert backend.list_checkpoints() == {"orders.lines": {"rows": 3}}


@pytest.mark.parametrize(
    ("flow", "entity"),
    [
        pytest.param("orders", "../../escape", id="parent-traversal"),
        pytest.param("orders", "a/b", id="slash"),
        pytest.param("..", "customers", id="dot-dot-flow"),
        pytest.param("orders", ".hidden", id="leading-dot"),
        pytest.param("", "customers", id="empty-flow"),
    ],
)
def test_names_that_would_escape_the_state_folder_are_refused(backend, flow, entity):
    with pytest.raises(StateError, match="cannot be used in the state folder"):
        backend.set_watermark(flow, entity, WATERMARK)


def test_entity_names_with_dots_are_kept_whole(backend):
    backend.set_watermark("sales", "dbo.orders", WATERMARK)

    assert backend.list_watermarks() == {"sales.dbo.orders": WATERMARK}


def test_default_stale_timeout_is_ten_minutes():
    assert timedelta(minutes=10) == DEFAULT_STALE_AFTER


def test_state_survives_a_new_backend_instance(state_dir, backend):
    backend.set_watermark("orders", "customers", WATERMARK)
    backend.save_checkpoint("orders", "customers", {"rows": 9})

    reopened = LocalStateBackend(state_dir)

    assert reopened.get_watermark("orders", "customers") == WATERMARK
    assert reopened.load_checkpoint("orders", "customers") == {"rows": 9}


def test_a_write_into_new_folders_fsyncs_the_parent_of_each_one(tmp_path, monkeypatch):
    synced: list[Path] = []
    monkeypatch.setattr(hygge.state.atomic, "fsync_dir", synced.append)
    monkeypatch.setattr(hygge.io.atomic, "fsync_dir", synced.append)  # the folders' own
    target = tmp_path / "state" / "journal" / "flow" / "entity" / "row.parquet"
    write_atomic(target, b"row")
    for created in [tmp_path / "state", *list(target.parents)[:4]]:
        assert created.parent in synced, created
    assert synced[-1] == target.parent  # and the file's own entry, once published
