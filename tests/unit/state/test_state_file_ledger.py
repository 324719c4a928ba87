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


def test_forgetting_a_ledger_behind_a_link_out_of_the_state_folder_removes_nothing(tmp_path):
    elsewhere = tmp_path / "someone" / "configs"
    elsewhere.mkdir(parents=True)
    (elsewhere / "ab.json").write_text("{}")  # named like a shard, but not hygge's
    flow = tmp_path / ".hygge" / "files" / "feed"
    flow.mkdir(parents=True)
    (flow / "events").symlink_to(elsewhere, target_is_directory=True)
    state = LocalStateBackend(tmp_path / ".hygge")

    with pytest.raises(StateError, match="outside the state folder"):
        state.clear_file_ledger("feed", "events")
    assert (elsewhere / "ab.json").read_text() == "{}"


def test_forgetting_a_ledger_removes_only_its_shard_files(tmp_path):
    state = LocalStateBackend(tmp_path / ".hygge")
    state.write_file_ledger("feed", "events", [file_record("today.csv")])
    folder = tmp_path / ".hygge" / "files" / "feed" / "events"
    (folder / "notes.json").write_text("kept")  # not a name hygge writes

    assert state.clear_file_ledger("feed", "events") is True
    assert [p.name for p in folder.iterdir()] == ["notes.json"]
