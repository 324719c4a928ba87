"""Reading and tampering with a DuckDB store's database in tests, through hygge's own
process-wide connection (a second connection in this process would share it anyway)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from hygge.stores.duckdb_database import open_database
from hygge.stores.duckdb_names import TableName


def read_table(
    path: Path, table: TableName, schema: pl.Schema | None = None
) -> pl.DataFrame | None:
    """Every row of `table` (cast to `schema` if given); None if there is no such table."""
    if not path.exists():
        return None
    with open_database(path).transaction() as cursor:
        found = cursor.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            [table.schema, table.table],
        ).fetchall()
        if not found:
            return None
        frame = pl.from_arrow(cursor.sql(f"SELECT * FROM {table.sql()}").to_arrow_table())
    assert isinstance(frame, pl.DataFrame)
    if schema is None:
        return frame
    return frame.select(pl.col(name).cast(dtype) for name, dtype in schema.items())


def execute(path: Path, *statements: str) -> None:
    """Run SQL against the database at `path` (a stranger's tables, a DBA's change)."""
    with open_database(path).transaction() as cursor:
        for statement in statements:
            cursor.execute(statement)
