"""`type: duckdb` store block: the config (light to import); the store is `duckdb_store`.

store: {type: duckdb, path: lake.duckdb, table: "{entity}"}     # path: workspace-relative
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field, model_validator

from hygge.errors import ConfigError
from hygge.stores.base import StoreCapabilities, StoreConfig
from hygge.stores.duckdb_names import parse_table, reserved_schema
from hygge.types import Place, RunType

if TYPE_CHECKING:
    from hygge.stores.duckdb_store import DuckdbStore

_RUN_TYPES = frozenset(RunType)


class DuckdbStoreConfig(StoreConfig):
    """A table in a DuckDB database file; see `hygge.stores.duckdb_store`."""

    type: Literal["duckdb"] = "duckdb"
    path: str | None = Field(
        None, description="The database file, relative to the workspace (or `connection:`)."
    )
    table: str = Field("{entity}", description="`name` or `schema.name`; may hold {entity}.")
    db_schema: str | None = Field(
        None, alias="schema", description="The table's schema (default main)."
    )
    if_exists: Literal["fail", "append", "replace"] = Field(
        "fail",
        description="A table hygge did not create: fail (refuse, the default), append (write "
        "into it, keeping its rows: no full_drop), replace (drop it, create it from the data).",
    )
    key_columns: list[str] = Field(
        default_factory=list, description="Merge keys (set from the entity's key_columns)."
    )

    entity_fields: ClassVar[tuple[str, ...]] = ("table",)
    capabilities: ClassVar[StoreCapabilities] = StoreCapabilities(
        run_types=_RUN_TYPES,
        merge_strategies=frozenset({"upsert"}),
        transactional=True,
        empty_tables=True,
        atomic_visibility=_RUN_TYPES,
        preferred_batch_size=100_000,
    )

    @model_validator(mode="after")
    def _own_schema(self) -> DuckdbStoreConfig:
        stem = Path(self.path).stem if self.path else None
        problem = reserved_schema(self.table, self.db_schema, stem)
        if problem:
            raise ValueError(
                f"table '{self.table}': {problem}; write it into main or a schema of its own"
            )
        return self

    def table_key(self, root: Path, entity: str) -> str | None:
        if self.path is None or self.path.startswith("~"):
            return None  # a connection's file, or a path the store refuses when it opens
        try:
            name = parse_table(self.table.replace("{entity}", entity), self.db_schema, "table")
        except ConfigError:
            return None  # the store names the problem when it opens
        real = os.path.realpath(root / self.path)
        return f"duckdb {real} {name.schema.casefold()}.{name.table.casefold()}"

    def open(self, place: Place) -> DuckdbStore:
        from hygge.stores.duckdb_store import DuckdbStore  # the store's code, when it opens

        return DuckdbStore(self, self.database_path(place), place)

    def database_path(self, place: Place) -> Path:
        """The database file: `path`, or the `path` of the connection `connection` names."""
        where = f"duckdb store of {place.flow}.{place.entity}"
        if self.path is not None and self.connection is not None:
            raise ConfigError(
                f"{where}: give `path` or `connection`, not both",
                hint="keep one of them",
            )
        if self.path is not None:
            return place.resolve(self.path)
        if self.connection is None:
            raise ConfigError(
                f"{where}: no database file", hint="set `path: lake.duckdb` on the store"
            )
        found = place.connections.get(self.connection)
        settings = {} if found is None else found.model_dump()
        if settings.get("type") != "duckdb" or not isinstance(settings.get("path"), str):
            known = ", ".join(sorted(place.connections)) or "none"
            raise ConfigError(
                f"{where}: connection '{self.connection}' is not a duckdb connection with a "
                f"`path` in hygge.yml (connections there: {known})",
                hint="add connections: {name: {type: duckdb, path: lake.duckdb}}, or set "
                "`path` on the store",
            )
        return place.resolve(str(settings["path"]))
