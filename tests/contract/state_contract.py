"""The StateBackend contract: what every state backend (local folder, memory, blob) must do.

A backend is done when a subclass of `StateBackendContract` passes, unchanged. It provides:

- `open_backend` fixture: `(host, pid) -> StateBackend`, a *new* backend object over the one
  state of the test, posing as process `pid` on `host` (a new object stands for another
  process), built with the contract's `clock`, `processes.alive` as its check whether a pid
  lives on its host, and `STALE_AFTER` as its stale timeout;
- `crash_write` fixture: a context manager under which the backend's next state write dies
  inside the write (InjectedFault): what was stored before must stay readable and unchanged.

Hosts and pids: `HERE` and `FAR` are two machines; pids in `LIVE` are running (on any host:
only the holder's own host can look), every other pid is gone.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import pytest

from hygge.errors import InjectedFault, StateError
from hygge.state.base import FileRecord, ResetMark, Watermark
from hygge.state.journal import JournalRow
from tests.contract.state_lock_contract import StateLockContract
from tests.contract.state_owner_contract import StateOwnerContract
from tests.contract.state_support import (
    FAR,
    HERE,
    STALE_AFTER,
    T0,
    CrashWrite,
    FakeClock,
    OpenBackend,
    Processes,
)

__all__ = [
    "STALE_AFTER",
    "CrashWrite",
    "FakeClock",
    "OpenBackend",
    "Processes",
    "StateBackendContract",
]


def watermark(value: int, **overrides: Any) -> Watermark:
    record = FileRecord(
        path="a.csv", size=10, mtime_ns=1, rows=2, digest="d" * 64, whole_lines=True
    )
    fields: dict[str, Any] = {
        "column": "id",
        "value": value,
        "value_type": "int",
        "files": ["a.csv@1"],
        "file_records": [record],
        "entity_run_id": f"run-{value}",
        "updated_at": T0,
    }
    return Watermark(**(fields | overrides))


def file_record(path: str, *, rows: int = 2, size: int = 10) -> FileRecord:
    return FileRecord(
        path=path, size=size, mtime_ns=1, rows=rows, digest="d" * 64, whole_lines=True
    )


def journal_row(run: str, start: datetime, **overrides: Any) -> JournalRow:
    fields: dict[str, Any] = {
        "entity_run_id": run,
        "coordinator_run_id": "coord1",
        "flow_run_id": "flowrun1",
        "coordinator": "shop",
        "flow": "orders",
        "entity": "customers",
        "start_time": start,
        "finish_time": start + timedelta(seconds=5),
        "status": "success",
        "run_type": "incremental",
        "row_count": 10,
        "duration": 5.0,
        "window_from": "1",
        "window_to": "9",
        "host": HERE,
    }
    return JournalRow(**(fields | overrides))


class StateBackendContract(StateLockContract, StateOwnerContract):
    """Every StateBackend behaves like this (its locks: `StateLockContract`; its owner
    record: `StateOwnerContract`)."""

    # Watermarks

    def test_watermark_set_get_clear_round_trip(self, state, open_backend):
        assert state.get_watermark("orders", "customers") is None
        state.set_watermark("orders", "customers", watermark(5))

        assert open_backend(FAR, 1).get_watermark("orders", "customers") == watermark(5)
        assert state.list_watermarks() == {"orders.customers": watermark(5)}
        assert state.clear_watermark("orders", "customers") is True
        assert state.clear_watermark("orders", "customers") is False
        assert state.get_watermark("orders", "customers") is None
        assert state.list_watermarks() == {}

    def test_watermark_set_again_replaces_it_and_entities_are_independent(self, state):
        state.set_watermark("orders", "customers", watermark(5))
        state.set_watermark("orders", "customers", watermark(7))
        state.set_watermark("orders", "lines", watermark(1))

        assert state.get_watermark("orders", "customers") == watermark(7)
        assert set(state.list_watermarks()) == {"orders.customers", "orders.lines"}

    def test_failed_watermark_write_leaves_the_old_value(self, state, crash_write):
        state.set_watermark("orders", "customers", watermark(5))

        with crash_write(), pytest.raises(InjectedFault):
            state.set_watermark("orders", "customers", watermark(7))

        assert state.get_watermark("orders", "customers") == watermark(5)

    def test_reset_mark_set_get_replace_and_entities_are_independent(self, state, open_backend):
        first = ResetMark(reset_at=T0, runs=["run-1"])
        later = ResetMark(reset_at=T0 + timedelta(hours=1), runs=["run-2", "run-3"])
        assert state.get_reset("orders", "customers") is None
        state.set_reset("orders", "customers", first)
        state.set_reset("orders", "customers", later)

        assert open_backend(FAR, 1).get_reset("orders", "customers") == later
        assert state.get_reset("orders", "lines") is None
        assert state.list_watermarks() == {}  # a reset mark is no watermark

    def test_reset_mark_clear_forgets_it_once_and_leaves_other_entities(self, state, open_backend):
        mark = ResetMark(reset_at=T0, runs=["run-1"], full_drop_next=True)
        state.set_reset("orders", "customers", mark)
        state.set_reset("orders", "lines", mark)

        assert state.clear_reset("orders", "customers") is True
        assert state.clear_reset("orders", "customers") is False
        assert open_backend(FAR, 1).get_reset("orders", "customers") is None
        assert open_backend(FAR, 1).get_reset("orders", "lines") == mark

    # Checkpoints

    def test_checkpoint_save_load_clear_round_trip(self, state, open_backend):
        checkpoint: dict[str, Any] = {"run": "r1", "chunks": [1, 2], "at": None, "ok": True}
        state.save_checkpoint("orders", "customers", checkpoint)
        checkpoint["chunks"].append(3)  # the caller's later change is not stored

        stored = open_backend(FAR, 1).load_checkpoint("orders", "customers")
        assert stored == {"run": "r1", "chunks": [1, 2], "at": None, "ok": True}
        assert state.list_checkpoints() == {"orders.customers": stored}
        state.clear_checkpoint("orders", "customers")
        state.clear_checkpoint("orders", "customers")  # harmless when already gone
        assert state.load_checkpoint("orders", "customers") is None
        assert state.list_checkpoints() == {}

    def test_a_checkpoint_cleared_unsynced_is_gone_for_every_reader(self, state, open_backend):
        state.save_checkpoint("orders", "customers", {"phase": "journaled"})

        state.clear_checkpoint("orders", "customers", synced=False)

        assert open_backend(FAR, 1).load_checkpoint("orders", "customers") is None
        assert state.list_checkpoints() == {}

    def test_failed_checkpoint_write_leaves_the_old_checkpoint(self, state, crash_write):
        state.save_checkpoint("orders", "customers", {"chunk": 1})

        with crash_write(), pytest.raises(InjectedFault):
            state.save_checkpoint("orders", "customers", {"chunk": 2})

        assert state.load_checkpoint("orders", "customers") == {"chunk": 1}

    def test_checkpoint_that_is_not_plain_json_is_refused(self, state):
        with pytest.raises(StateError, match="not plain JSON"):
            state.save_checkpoint("orders", "customers", {"bad": float("nan")})
        assert state.load_checkpoint("orders", "customers") is None

    def test_checkpoint_replace_writes_only_over_the_expected_generation(self, state):
        assert state.replace_checkpoint("orders", "customers", {"generation": 1}, 0) is False
        assert state.load_checkpoint("orders", "customers") is None  # nothing to replace
        state.save_checkpoint("orders", "customers", {"generation": 1, "by": "a"})

        assert state.replace_checkpoint("orders", "customers", {"generation": 2, "by": "b"}, 0) is (
            False
        )
        assert state.load_checkpoint("orders", "customers") == {"generation": 1, "by": "a"}
        assert state.replace_checkpoint("orders", "customers", {"generation": 2, "by": "b"}, 1)
        assert state.load_checkpoint("orders", "customers") == {"generation": 2, "by": "b"}

    def test_concurrent_checkpoint_replaces_of_one_generation_let_exactly_one_win(
        self, state, open_backend
    ):
        state.save_checkpoint("orders", "customers", {"generation": 1})
        backends = [open_backend(HERE, 100 + i) for i in range(8)]
        start = threading.Barrier(len(backends))

        def replace(index: int) -> bool:
            start.wait()
            data = {"generation": 2, "by": index}
            return bool(backends[index].replace_checkpoint("orders", "customers", data, 1))

        with ThreadPoolExecutor(len(backends)) as pool:
            won = list(pool.map(replace, range(len(backends))))

        assert won.count(True) == 1
        stored = state.load_checkpoint("orders", "customers")
        assert stored == {"generation": 2, "by": won.index(True)}

    # Margins

    def test_margin_save_promote_clear(self, state):
        state.save_margin("orders", "customers", b"chunk-1", pending="run1.1")
        state.save_margin("orders", "customers", b"chunk-2", pending="run1.2")

        assert state.load_margin("orders", "customers") is None
        assert state.load_margin("orders", "customers", pending="run1.1") == b"chunk-1"
        state.promote_margin("orders", "customers", pending="run1.2")
        assert state.load_margin("orders", "customers") == b"chunk-2"
        assert state.load_margin("orders", "customers", pending="run1.1") is None
        assert state.load_margin("orders", "customers", pending="run1.2") is None
        state.save_margin("orders", "customers", b"chunk-3", pending="run2.1")
        state.clear_margin("orders", "customers")
        assert state.load_margin("orders", "customers") is None
        assert state.load_margin("orders", "customers", pending="run2.1") is None

    # Journal

    def test_journal_append_read_returns_equal_rows_newest_first(self, state, open_backend):
        first = journal_row("r1", T0)
        second = journal_row("r2", T0 + timedelta(minutes=1), status="fail", message="boom")
        other = journal_row("r3", T0 + timedelta(minutes=2), flow="sales", entity="lines")
        for row in (first, second, other):
            state.append_journal(row)

        reader = open_backend(FAR, 1)
        assert reader.read_journal() == [other, second, first]
        assert reader.read_journal(flows=["orders"]) == [second, first]
        assert reader.read_journal(entities=["sales.lines"]) == [other]
        assert reader.read_journal(entities=["customers"], limit=1) == [second]

    def test_journal_newest_first_is_by_when_each_event_finished(self, state):
        # A resumed success keeps its first attempt's start; a refusal happened in between.
        resumed = journal_row("r1", T0, finish_time=T0 + timedelta(minutes=10))
        refused = journal_row("r2", T0 + timedelta(minutes=1), status="fail", message="locked")
        for row in (resumed, refused):
            state.append_journal(row)

        assert state.read_journal() == [resumed, refused]
        assert state.read_journal(entities=["orders.customers"], limit=1) == [resumed]

    def test_journal_of_nothing_is_empty(self, state):
        assert state.read_journal() == []

    def test_readable_journal_reads_what_read_journal_reads(self, state, open_backend):
        first = journal_row("r1", T0)
        other = journal_row("r2", T0 + timedelta(minutes=1), flow="sales", entity="lines")
        for row in (first, other):
            state.append_journal(row)

        reader = open_backend(FAR, 1)
        assert reader.read_readable_journal().rows == [other, first]
        assert reader.read_readable_journal(flows=["sales"]).rows == [other]
        assert reader.read_readable_journal(entities=["customers"], limit=5).rows == [first]
        assert reader.read_readable_journal().skipped == []

    def test_journal_names_are_every_journaled_entity(self, state, open_backend):
        assert state.journal_names() == []
        state.append_journal(journal_row("r1", T0, flow="sales", entity="lines"))
        state.append_journal(journal_row("r2", T0))
        state.append_journal(journal_row("r3", T0 + timedelta(minutes=1)))

        assert open_backend(FAR, 1).journal_names() == ["orders.customers", "sales.lines"]

    # Describing the state (what `hygge debug` lists)

    def test_stored_entities_lists_each_kind_sorted(self, state, open_backend):
        state.set_watermark("sales", "lines", watermark(1))
        state.set_watermark("orders", "customers", watermark(2))
        state.save_checkpoint("orders", "items", {"rows": 1})
        state.acquire_lock("orders", "customers", "run-a")

        reader = open_backend(FAR, 1)
        assert reader.stored_entities("watermarks") == [("orders", "customers"), ("sales", "lines")]
        assert reader.stored_entities("checkpoints") == [("orders", "items")]
        assert reader.stored_entities("locks") == [("orders", "customers")]

    def test_stored_entities_forgets_what_was_cleared(self, state):
        state.set_watermark("orders", "customers", watermark(1))
        state.save_checkpoint("orders", "customers", {"rows": 1})
        state.acquire_lock("orders", "customers", "run-a")

        state.clear_watermark("orders", "customers")
        state.clear_checkpoint("orders", "customers")
        state.release_lock("orders", "customers", "run-a")

        for kind in ("watermarks", "checkpoints", "locks"):
            assert state.stored_entities(kind) == []

    def test_locations_name_the_state_and_each_entity(self, state):
        assert state.location()
        assert state.journal_location()
        where = state.location_of("watermarks", "orders", "customers")
        assert "orders" in where and "customers" in where
        assert where != state.location_of("checkpoints", "orders", "customers")

    def test_a_fresh_backend_is_writable(self, state):
        assert state.writable_problem() is None

    # The file ledger

    def test_file_ledger_write_read_clear_round_trip(self, state, open_backend):
        records = [file_record(f"day-{n:03}.csv", rows=n) for n in range(40)]
        state.write_file_ledger("orders", "customers", records)

        reader = open_backend(FAR, 1)
        wanted = ["day-003.csv", "day-017.csv", "never-loaded.csv"]
        assert reader.read_file_ledger("orders", "customers", wanted) == {
            "day-003.csv": records[3],
            "day-017.csv": records[17],
        }
        assert reader.count_file_ledger("orders", "customers") == 40
        assert state.clear_file_ledger("orders", "customers") is True
        assert state.clear_file_ledger("orders", "customers") is False
        assert state.read_file_ledger("orders", "customers", wanted) == {}
        assert state.count_file_ledger("orders", "customers") == 0

    def test_file_ledger_write_replaces_records_by_path_and_keeps_the_others(self, state):
        state.write_file_ledger("orders", "customers", [file_record("a.csv"), file_record("b.csv")])
        grown = file_record("a.csv", rows=9, size=99)

        state.write_file_ledger("orders", "customers", [grown])
        state.write_file_ledger("orders", "customers", [grown])  # a retried commit: no change

        stored = state.read_file_ledger("orders", "customers", ["a.csv", "b.csv"])
        assert stored == {"a.csv": grown, "b.csv": file_record("b.csv")}

    def test_file_ledgers_of_entities_are_independent(self, state):
        state.write_file_ledger("orders", "customers", [file_record("a.csv")])
        state.write_file_ledger("orders", "lines", [file_record("a.csv", rows=5)])
        state.clear_file_ledger("orders", "customers")

        assert state.read_file_ledger("orders", "customers", ["a.csv"]) == {}
        assert state.read_file_ledger("orders", "lines", ["a.csv"]) == {
            "a.csv": file_record("a.csv", rows=5)
        }

    def test_file_ledger_keeps_records_known_only_by_an_older_fingerprint(self, state):
        legacy = FileRecord(
            path="old.csv", size=3, mtime_ns=7, rows=0, digest=None, whole_lines=False
        )
        state.write_file_ledger("orders", "customers", [legacy])

        assert state.read_file_ledger("orders", "customers", ["old.csv"]) == {"old.csv": legacy}

    def test_failed_file_ledger_write_leaves_the_old_records(self, state, crash_write):
        state.write_file_ledger("orders", "customers", [file_record("a.csv")])

        with crash_write(), pytest.raises(InjectedFault):
            state.write_file_ledger("orders", "customers", [file_record("a.csv", rows=9)])

        assert state.read_file_ledger("orders", "customers", ["a.csv"]) == {
            "a.csv": file_record("a.csv")
        }
