"""The file ledger: what of each file of an entity is loaded, kept apart from the watermark.

A landing zone grows without end, so its files are not listed in the watermark (which every
run and every Durable activity reads whole): each loaded file's `FileRecord` lives in one of
`SHARDS` ledger shards, chosen by a hash of its path. Looking up the files of today's listing
reads only the shards they hash to; recording a run's files rewrites only the shards whose
records changed. Backends store a shard as one small JSON document (`encode_shard`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from pydantic import BaseModel, Field

from hygge.records import FileRecord

SHARDS = 256  # two hex digits of the path's sha256


class LedgerShard(BaseModel):
    """The records of the files whose paths hash to one shard, by path."""

    records: dict[str, FileRecord] = Field(default_factory=dict)


def is_shard_file(name: str) -> bool:
    """Whether `name` is a shard file hygge writes (`<two hex digits>.json`)."""
    stem, _, suffix = name.partition(".")
    return suffix == "json" and len(stem) == 2 and all(c in "0123456789abcdef" for c in stem)


def shard_of(path: str) -> str:
    """The shard a file's path belongs to: `00` … `ff`."""
    return hashlib.sha256(path.encode()).hexdigest()[:2]


def by_shard(paths: Iterable[str]) -> dict[str, list[str]]:
    """`paths` grouped by their shard."""
    grouped: dict[str, list[str]] = {}
    for path in paths:
        grouped.setdefault(shard_of(path), []).append(path)
    return grouped


def records_by_shard(records: Iterable[FileRecord]) -> dict[str, dict[str, FileRecord]]:
    """`records` grouped by shard, then by path (a later record of a path wins)."""
    grouped: dict[str, dict[str, FileRecord]] = {}
    for record in records:
        grouped.setdefault(shard_of(record.path), {})[record.path] = record
    return grouped


def updated(stored: LedgerShard | None, records: Mapping[str, FileRecord]) -> LedgerShard | None:
    """The shard with `records` put in, or None when that changes nothing (no write needed)."""
    current = stored.records if stored is not None else {}
    if all(current.get(path) == record for path, record in records.items()):
        return None
    return LedgerShard(records={**current, **records})


def encode_shard(shard: LedgerShard) -> bytes:
    return shard.model_dump_json().encode()


def decode_shard(raw: bytes) -> LedgerShard:
    """A stored shard; pydantic's ValidationError when it is damaged."""
    return LedgerShard.model_validate_json(raw)
