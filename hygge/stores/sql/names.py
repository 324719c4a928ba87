"""SQL store identifiers: a store's `table` parsed and validated, every name quoted when used.

`table` is `name` or `schema.name`, either part optionally in double quotes (`"a.b"` is one
name with a dot; `""` inside quotes is a quote; SQL Server also takes `[a]`). Any character is
allowed in a quoted name except control characters; each dialect bounds the length, and
hygge's own schema (`_hygge`, or the `_hygge_` table prefix on SQLite) is never a store's table.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from hygge.errors import ConfigError
from hygge.stores.duckdb_names import split_parts

HYGGE_SCHEMA = "_hygge"


@dataclass(frozen=True)
class TableName:
    """A validated `schema.table` (the schema may be "" where the dialect has none)."""

    schema: str
    table: str

    def __str__(self) -> str:
        return f"{self.schema}.{self.table}" if self.schema else self.table


def parse_table(
    text: str, schema: str | None, where: str, *, default_schema: str, max_name: int
) -> TableName:
    """`text` (a store's `table`, `{entity}` already filled) as a TableName; ConfigError naming
    `where` (the store) and the name if it cannot be one."""
    if text.startswith("[") and text.endswith("]") and "." not in text:
        text = '"' + text[1:-1].replace('"', '""') + '"'  # T-SQL's brackets, one part
    parts = split_parts(text, where)
    if len(parts) == 2 and schema is not None:
        raise ConfigError(
            f"{where}: table '{text}' names a schema and `schema: {schema}` names another",
            hint="give the schema in one place: `table: name` with `schema:`, or `schema.name`",
        )
    found_schema, table = parts if len(parts) == 2 else (schema or default_schema, parts[0])
    for kind, name in (("schema", found_schema), ("table", table)):
        if kind == "schema" and not default_schema and not found_schema:
            continue
        check_name(name, f"{where}: {kind} name", text, max_name)
    if found_schema.casefold() == HYGGE_SCHEMA or table.casefold().startswith("_hygge_"):
        raise ConfigError(
            f"{where}: table '{text}' is in hygge's own bookkeeping ({HYGGE_SCHEMA}: owners, "
            "commits, staging)",
            hint="choose another schema or table name",
        )
    return TableName(found_schema, table)


_ENTITY = "hyggeEntity0"  # `{entity}` while the table parses: no quote, no dot


def _as_name(part: str) -> str:
    return '"' + part.replace('"', '""') + '"'


def entity_table(
    template: str, schema: str | None, entity: str, where: str, *, default_schema: str,
    max_name: int,
) -> TableName:  # fmt: skip
    """A store's `table` for one entity: `{entity}` (if the loader left it) is the entity's
    name as one name, whatever it holds (a dot, a quote)."""
    held = template.replace("{entity}", _ENTITY)
    parsed = parse_table(held, schema, where, default_schema=default_schema, max_name=max_name)
    if _ENTITY not in held:
        return parsed
    schema_part, table = (part.replace(_ENTITY, entity) for part in (parsed.schema, parsed.table))
    return parse_table(
        f"{_as_name(schema_part)}.{_as_name(table)}" if schema_part else _as_name(table), None,
        where, default_schema=default_schema, max_name=max_name,
    )  # fmt: skip


def check_name(name: str, what: str, text: str, max_name: int) -> None:
    """ConfigError if `name` cannot be an identifier hygge writes (empty, too long, control
    characters); `max_name` counts UTF-8 bytes, as PostgreSQL does (a safe bound for all)."""
    if not name.strip():
        raise ConfigError(f"{what} in '{text}' is empty", hint="give the table a name")
    size = len(name.encode())
    if size > max_name:
        raise ConfigError(
            f"{what} '{name[:40]}…' is {size} bytes long (at most {max_name} here)",
            hint="choose a shorter name",
        )
    bad = [c for c in name if unicodedata.category(c).startswith("C")]
    if bad:
        raise ConfigError(
            f"{what} in '{text}' holds a control character ({bad[0]!r})",
            hint="remove control characters (newlines, tabs, NUL) from the name",
        )
