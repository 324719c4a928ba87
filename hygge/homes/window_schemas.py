"""The window schemas text file homes inferred, kept for the process: each chunk of a run
opens its home again, and a window's schema is inferred from its first rows once, not once a
chunk. Keyed by the home, its options and the files' fingerprints, so a changed file misses."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

import polars as pl

KEPT = 32  # windows remembered (the oldest is forgotten first)
_lock = threading.Lock()
_schemas: OrderedDict[str, pl.Schema | None] = OrderedDict()


def kept_schema(key: str, infer: Callable[[], pl.Schema | None]) -> pl.Schema | None:
    """The schema kept under `key`, else `infer()`'s, kept."""
    with _lock:
        if key in _schemas:
            _schemas.move_to_end(key)
            return _schemas[key]
    schema = infer()
    with _lock:
        _schemas[key] = schema
        while len(_schemas) > KEPT:
            _schemas.popitem(last=False)
    return schema
