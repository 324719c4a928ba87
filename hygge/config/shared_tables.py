"""Two entities must not write one table: refused when the workspace loads.

Each store config says which table an entity writes (`StoreConfig.table_key`), as its
database names it — DuckDB, SQLite and SQL Server ignore case, so `orders` and `ORDERS` are
one table there (PostgreSQL keeps the case of the quoted names hygge writes). A server's
database is named by the store's `connection:` (SQL Server: or `server` + `database`). Two entities
on one key would each replace (or mix into) the other's rows, and the second would take the
first's table for its own. A store naming its database file through a `connection:` is
keyed by that connection's file, so it meets a store giving the same file as its `path`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hygge.config.entity import DeclaredEntity
from hygge.errors import ConfigError


def check_shared_tables(
    root: Path, declared: Sequence[DeclaredEntity], connections: Mapping[str, Any] | None = None
) -> None:
    """ConfigError naming both entities and the second's file and line."""
    seen: dict[str, DeclaredEntity] = {}
    journals = _journal_tables(root, declared)
    for each in declared:
        store = each.entity.store
        named = (connections or {}).get(str(getattr(store, "connection", None) or ""))
        file = getattr(named, "path", None)
        if getattr(store, "path", "") is None and isinstance(file, str):
            store = store.model_copy(update={"path": file, "connection": None})
        key = store.table_key(root, each.entity.name)
        if key is None:
            continue
        if key in journals:
            table, asking = journals[key]
            raise ConfigError(
                f"entity {each.entity.flow}.{each.entity.name} lands in the table folder of "
                f"the mirrored journal '{table}' ({key}), which mirror_journal: true of "
                f"{asking.entity.flow}.{asking.entity.name} writes: each would take the "
                "other's folder",
                file=each.store_at.file,
                line=each.store_at.line,
                hint=f"rename the entity (or give it another `table`), or set "
                f"`journal_table_name` to a name no entity uses (not '{table}')",
            )
        first = seen.setdefault(key, each)
        if first is each:
            continue
        a, b = first.entity, each.entity
        raise ConfigError(
            f"entities {a.flow}.{a.name} and {b.flow}.{b.name} write the same table ({key}): "
            "each run would replace or mix with the other's rows",
            file=each.store_at.file,
            line=each.store_at.line,
            hint="give one of them another `table` (names that differ only in case are one "
            "table in DuckDB, SQLite and SQL Server)",
        )


def _journal_tables(
    root: Path, declared: Sequence[DeclaredEntity]
) -> dict[str, tuple[str, DeclaredEntity]]:
    """The mirrored journals' table folders (Open Mirroring `mirror_journal: true`): key →
    (table, the first entity whose store asks for it)."""
    found: dict[str, tuple[str, DeclaredEntity]] = {}
    for each in declared:
        journal = getattr(each.entity.store, "journal_table_key", None)
        named = journal(root) if callable(journal) else None
        if named is not None:
            table, key = named
            found.setdefault(key, (table, each))
    return found
