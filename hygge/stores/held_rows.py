"""What a store holds that an appending run adds to: `hygge reset --keep-data` asks, since
its next run appends every source row, and into a store that still holds the rows hygge
loaded before each would appear twice."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class HoldsRows(Protocol):
    def held_rows(self) -> str | None:
        """E.g. `3 published .parquet file(s) in lake/orders`; None if the store holds no row of
        this entity (missing, or emptied by the user)."""
        ...
