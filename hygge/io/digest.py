"""The digest of a file's first `size` bytes: recognises the part of a file already loaded."""

from __future__ import annotations

import hashlib
from pathlib import Path

from hygge.errors import DataError

BLOCK = 1024 * 1024  # bytes read at a time (memory stays bounded for any file size)


def part_digest(path: Path, size: int) -> tuple[str, bool]:
    """(sha256 of the first `size` bytes, whether they are empty or end at a line end)."""
    digest = hashlib.sha256()
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
    return f"sha256:{digest.hexdigest()}", size == 0 or last == b"\n"


def byte_at(path: Path, offset: int) -> bytes:
    """The byte of `path` at `offset` (empty past the end)."""
    try:
        with path.open("rb") as file:
            file.seek(offset)
            return file.read(1)
    except OSError as exc:
        raise DataError(f"cannot read {path} to check it against the loaded files: {exc}") from exc
