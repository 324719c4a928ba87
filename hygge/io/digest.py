"""The digest of a file's first `size` bytes: recognises the part of a file already loaded.

New records are digested with xxh3-128 (`DIGEST`): the digest tells the same bytes from
changed ones (a touch, an append, an edit), it is no defence against a forger, and sha256,
which older records carry, took a second pass over every new file at about a sixth of the
speed. A record's digest is always compared with one taken by its own algorithm.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import xxhash

from hygge.errors import DataError

BLOCK = 1024 * 1024  # bytes read at a time (memory stays bounded for any file size)


class _Hash(Protocol):
    def update(self, data: bytes, /) -> None: ...
    def hexdigest(self) -> str: ...


_ALGORITHMS: dict[str, Callable[[], _Hash]] = {
    "xxh3_128": xxhash.xxh3_128,
    "sha256": hashlib.sha256,  # the records of hygge before xxh3_128
}
DIGEST = "xxh3_128"


def digest_algorithm(digest: str) -> str | None:
    """The algorithm a recorded digest (`name:hex`) was taken with; None: one this hygge does
    not know (a newer hygge's), so no digest it takes can equal it."""
    name = digest.partition(":")[0]
    return name if name in _ALGORITHMS else None


def part_digest(path: Path, size: int, algorithm: str = DIGEST) -> tuple[str, bool]:
    """(`algorithm:hex` of the first `size` bytes, whether they are empty or end at a line
    end)."""
    digest = _ALGORITHMS[algorithm]()
    last = b""
    try:
        with path.open("rb") as file:
            left = size
            while left > 0:
                block = file.read(min(BLOCK, left))
                if not block:
                    raise DataError(f"{path} is shorter than the {size:,} bytes loaded before")
                digest.update(block)
                last, left = block[-1:], left - len(block)
    except OSError as exc:
        raise DataError(f"cannot read {path} to check it against the loaded files: {exc}") from exc
    return f"{algorithm}:{digest.hexdigest()}", size == 0 or last == b"\n"


def byte_at(path: Path, offset: int) -> bytes:
    """The byte of `path` at `offset` (empty past the end)."""
    try:
        with path.open("rb") as file:
            file.seek(offset)
            return file.read(1)
    except OSError as exc:
        raise DataError(f"cannot read {path} to check it against the loaded files: {exc}") from exc
