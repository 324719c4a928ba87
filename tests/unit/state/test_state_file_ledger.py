"""The file ledger is sharded: runs read and write only the shards of the files they touch."""

from __future__ import annotations

import pytest

from hygge.errors import StateError
from hygge.state.ledger import shard_of
from hygge.state.local import LocalStateBackend
from hygge.state.memory import MemoryStateBackend
from tests.contract.state_contract import file_record


def _paths_in_other_shards(count: int) -> tuple[str, list[str]]:
    """A path and `count` paths whose shards all differ from it and from each other."""
    first, others, seen = "today.csv", [], {shard_of("today.csv")}
    n = 0
    while len(others) < count:
        path = f"past-{n}.csv"
        n += 1
        if shard_of(path) not in seen:
            seen.add(shard_of(path))
            others.append(path)
    return first, others


def test_a_lookup_reads_only_the_shards_its_paths_hash_to(tmp_path):
    state = LocalStateBackend(tmp_path / ".hygge")
    today, past = _paths_in_other_shards(20)
    state.write_file_ledger("feed", "events", [file_record(p) for p in [today, *past]])
    folder = tmp_path / ".hygge" / "files" / "feed" / "events"
    for path in past:  # every other shard damaged: a lookup that opened one would fail
        (folder / f"{shard_of(path)}.json").write_text("{damaged")

    assert state.read_file_ledger("feed", "events", [today]) == {today: file_record(today)}
    with pytest.raises(StateError, match="corrupt"):
        state.read_file_ledger("feed", "events", [past[0]])


def test_a_write_rewrites_only_the_shards_whose_records_change(tmp_path):
    state = LocalStateBackend(tmp_path / ".hygge")
    today, past = _paths_in_other_shards(5)
    state.write_file_ledger("feed", "events", [file_record(p) for p in [today, *past]])
    folder = tmp_path / ".hygge" / "files" / "feed" / "events"
    before = {p.name: p.stat().st_ino for p in folder.glob("*.json")}

    grown = file_record(today, rows=7)
    state.write_file_ledger("feed", "events", [grown, *(file_record(p) for p in past)])

    after = {p.name: p.stat().st_ino for p in folder.glob("*.json")}
    changed = {name for name in after if after[name] != before[name]}
    assert changed == {f"{shard_of(today)}.json"}  # atomic replace: a new inode, the rest kept
    assert state.read_file_ledger("feed", "events", [today]) == {today: grown}


def test_memory_ledger_reads_and_writes_only_the_shards_involved():
    state = MemoryStateBackend()
    today, past = _paths_in_other_shards(30)
    state.write_file_ledger("feed", "events", [file_record(p) for p in past])
    state.state.ledger_reads.clear()
    state.state.ledger_writes.clear()

    state.read_file_ledger("feed", "events", [today])
    state.write_file_ledger("feed", "events", [file_record(today)])

    key = ("feed", "events", shard_of(today))
    assert state.state.ledger_reads == [key, key]
    assert state.state.ledger_writes == [key]
