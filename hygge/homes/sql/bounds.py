"""The bound conditions of a SQL home's read: the lookback floor of the watermark, and the key
range of a partition (`partitions: N`), each value typed for its column and bound, never
written into the statement's text."""

from __future__ import annotations

from hygge.errors import StateError
from hygge.homes.base import DEFAULT_PARTITION, PartitionSpec, Position, Window
from hygge.homes.positions import KeysetPosition
from hygge.homes.sql.drivers import SqlSchema
from hygge.homes.sql.statements import Condition
from hygge.homes.sql.values import from_json
from hygge.types import JsonScalar


def floor_conditions(column: str | None, floor: JsonScalar, schema: SqlSchema) -> list[Condition]:
    """`column > floor` (the watermark's lookback floor); none without a column or floor."""
    if column is None or floor is None:
        return []
    return [Condition(column, ">", from_json(floor, schema.get(column)))]


def range_conditions(spec: PartitionSpec, schema: SqlSchema) -> list[Condition]:
    """The key range of partition `spec`: `lower <= column < upper`, either side open."""
    if spec.column is None:
        return []
    dtype = schema.get(spec.column)
    found = []
    if spec.lower is not None:
        found.append(Condition(spec.column, ">=", from_json(spec.lower, dtype)))
    if spec.upper is not None:  # the first range also holds the rows without a value
        value = from_json(spec.upper, dtype)
        found.append(Condition(spec.column, "<", value, nulls=spec.lower is None))
    return found


def partition_of(window: Window, position: Position, partition: str) -> PartitionSpec:
    """The partition `partition` of `window`; a StateError for one it does not hold, or for a
    position that is not a keyset position (a checkpoint of another kind of home)."""
    spec = next((p for p in window.partitions if p.id == partition), None)
    if spec is None and partition == DEFAULT_PARTITION:
        spec = PartitionSpec()
    if spec is None or not isinstance(position, KeysetPosition):
        ids = ", ".join(p.id for p in window.partitions)
        raise StateError(
            f"a SQL home reads the partitions of its window ({ids}) from keyset positions, "
            f"not partition {partition!r} from a {position.kind} position; the checkpoint "
            "was written by another kind of home. Run with `hygge go --restart` to start "
            "again"
        )
    return spec
