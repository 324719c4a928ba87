"""DuckDB identifiers: a store's `table` parsed and validated, every name quoted when used.

`table` is `name` or `schema.name`, either part optionally in double quotes (`"a.b"` is one
name with a dot; `""` inside quotes is a quote). Any character is allowed in a quoted name
except control characters; names are at most `MAX_NAME` characters, and the schema `_hygge`
is hygge's own bookkeeping (owners, commits, staging), never a store's table.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from hygge.errors import ConfigError

HYGGE_SCHEMA = "_hygge"
DEFAULT_SCHEMA = "main"
MAX_NAME = 120  # characters of one schema or table name
# Names DuckDB resolves to its own catalogs and schemas, not a schema of the store's file.
RESERVED_SCHEMAS = ("temp", "system", "information_schema", "pg_catalog")


def quote(name: str) -> str:
    """`name` as a DuckDB identifier: double-quoted, inner quotes doubled."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """`text` as a SQL string literal (only for DDL, where DuckDB binds no parameters)."""
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class TableName:
    """A validated `schema.table`."""

    schema: str
    table: str

    def sql(self) -> str:
        """The quoted name to put into a statement."""
        return f"{quote(self.schema)}.{quote(self.table)}"

    def key(self) -> str:
        """The name as hygge's bookkeeping records it (unambiguous: both parts quoted)."""
        return self.sql()

    def __str__(self) -> str:
        return f"{self.schema}.{self.table}"


def parse_table(text: str, schema: str | None, where: str) -> TableName:
    """`text` (a store's `table`, `{entity}` already filled) as a TableName; ConfigError naming
    `where` (the store) and the name if it cannot be one."""
    parts = _split(text, where)
    if len(parts) == 2 and schema is not None:
        raise ConfigError(
            f"{where}: table '{text}' names a schema and `schema: {schema}` names another",
            hint="give the schema in one place: `table: name` with `schema:`, or `schema.name`",
        )
    if len(parts) == 2:
        found_schema, table = parts
    else:
        found_schema, table = schema or DEFAULT_SCHEMA, parts[0]
    for kind, name in (("schema", found_schema), ("table", table)):
        check_name(name, f"{where}: {kind} name", text)
    if found_schema.casefold() == HYGGE_SCHEMA:
        raise ConfigError(
            f"{where}: table '{text}' is in schema {HYGGE_SCHEMA}, where hygge keeps its own "
            "bookkeeping (owners, commits, staging)",
            hint="choose another schema, e.g. main",
        )
    return TableName(found_schema, table)


def check_name(name: str, what: str, text: str) -> None:
    """ConfigError if `name` cannot be a DuckDB identifier hygge writes."""
    if not name.strip():
        raise ConfigError(f"{what} in '{text}' is empty", hint="give the table a name")
    if len(name) > MAX_NAME:
        raise ConfigError(
            f"{what} '{name[:40]}…' is {len(name)} characters long (at most {MAX_NAME})",
            hint="choose a shorter name",
        )
    bad = [c for c in name if unicodedata.category(c).startswith("C")]
    if bad:
        raise ConfigError(
            f"{what} in '{text}' holds a control character ({bad[0]!r})",
            hint="remove control characters (newlines, tabs, NUL) from the name",
        )


def _split(text: str, where: str) -> list[str]:
    """`text` split at its unquoted dots, quotes removed."""
    parts: list[str] = []
    current: list[str] = []
    quoted, i = False, 0
    while i < len(text):
        char = text[i]
        if quoted and char == '"' and text[i + 1 : i + 2] == '"':
            current.append('"')
            i += 2
            continue
        if char == '"':
            quoted = not quoted
        elif char == "." and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    if quoted:
        raise ConfigError(
            f"{where}: table '{text}' opens a double quote it never closes",
            hint='close the quote, e.g. table: "my table"; write "" for a quote inside one',
        )
    parts.append("".join(current))
    if len(parts) > 2:
        raise ConfigError(
            f"{where}: table '{text}' has {len(parts) - 1} dots; give `name` or `schema.name`",
            hint='quote a name that holds a dot: table: "my.table"',
        )
    return parts


def reserved_schema(table: str, schema: str | None, database: str | None) -> str | None:
    """Why `table` (or `schema:`) names a schema no store table can be in; None if it can.
    `database` is the file's stem, which DuckDB also reads as its catalog's name."""
    try:
        parts = _split(table.replace("{entity}", "x"), "table")
    except ConfigError:
        return None  # the store names the problem when it opens
    found = parts[0] if len(parts) == 2 else schema
    if found is None:
        return None
    name = found.casefold()
    if name in RESERVED_SCHEMAS:
        return f"schema '{found}' is DuckDB's own ({', '.join(RESERVED_SCHEMAS)} are)"
    if database is not None and name == database.casefold():
        return (
            f"'{found}' is the name DuckDB gives the database file itself, so "
            f"'{found}.<table>' is ambiguous"
        )
    return None


split_parts = _split  # the SQL stores parse `table` the same way
