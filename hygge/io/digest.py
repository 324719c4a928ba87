"""A bounded digest of a file's first `size` bytes: recognises the part of a file already loaded.

Hashing a head and a tail (plus the size) keeps the cost of checking a large appended file
small; a change that keeps both ends and the length of the loaded part is not recognised.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from hygge.errors import DataError

SPAN = 64 * 1024  # bytes hashed at each end of the loaded part


def part_digest(path: Path, size: int) -> tuple[str, bool]:
    """(digest of the first `size` bytes, whether they end at a line end or are empty)."""
    digest = hashlib.sha256(str(size).encode())
    try:
        with path.open("rb") as file:
            head = file.read(min(size, SPAN))
            file.seek(max(size - SPAN, len(head)))
            tail = file.read(size - max(size - SPAN, len(head)))
    except OSError as exc:
        raise DataError(f"cannot read {path} to check it against the loaded files: {exc}") from exc
    if len(head) + len(tail) < min(size, 2 * SPAN):
        raise DataError(f"{path} is shorter than {size} bytes, the part loaded before")
    digest.update(head)
    digest.update(tail)
    whole_lines = size == 0 or (tail or head).endswith(b"\n")
    return f"sha256:{digest.hexdigest()}", whole_lines
