"""SQL homes: PostgreSQL, SQL Server, SQLite and DuckDB tables or queries."""

from __future__ import annotations

from hygge.homes.sql.config import (
    DuckdbHomeConfig,
    MssqlHomeConfig,
    PostgresHomeConfig,
    SqlHomeConfig,
    SqliteHomeConfig,
)

__all__ = [
    "DuckdbHomeConfig",
    "MssqlHomeConfig",
    "PostgresHomeConfig",
    "SqlHomeConfig",
    "SqliteHomeConfig",
]
