"""SQL dialects: how each database quotes names, numbers parameters and limits rows.

Every identifier hygge puts in SQL is validated and quoted here; every value is a bound
parameter. A table name is parsed into its parts (`schema.table`, each bare or quoted in the
dialect's quotes) and each part quoted again, so nothing a config holds reaches the SQL text
unquoted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hygge.errors import ConfigError

_BARE = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")


@dataclass(frozen=True)
class Dialect:
    """One database's SQL spelling."""

    name: str
    open_quote: str
    close_quote: str
    max_identifier: int  # characters (PostgreSQL: bytes; checked as UTF-8 there)
    placeholder_style: str  # "qmark" (?), "numeric" ($1) or "format" (%s, psycopg)
    top: bool = False  # SELECT TOP n (T-SQL) instead of LIMIT n
    quote_openers: tuple[str, ...] = ('"',)  # quotes a table name in a config may use
    # 64-bit integers written into the text, not bound (`Statement.render`): ADBC streams an
    # unbound statement by COPY and holds a bound one's whole result in libpq
    inline_integers: bool = False
    # `(a, b) > (x, y)`: a row comparison, which PostgreSQL's planner takes as one index
    # condition (the spelt-out OR of ANDs it cannot)
    row_values: bool = False

    def quote(self, name: str, *, what: str = "column") -> str:
        """`name` as a quoted identifier; ConfigError when no quoting can make it one."""
        self.check_identifier(name, what=what)
        doubled = name.replace(self.close_quote, self.close_quote * 2)
        return f"{self.open_quote}{doubled}{self.close_quote}"

    def check_identifier(self, name: str, *, what: str) -> None:
        size = len(name.encode()) if self.name == "postgres" else len(name)
        problem = None
        if not name:
            problem = "is empty"
        elif "\x00" in name:
            problem = "holds a NUL character"
        elif size > self.max_identifier:
            unit = "bytes" if self.name == "postgres" else "characters"
            problem = f"is {size} {unit} long ({self.name} allows {self.max_identifier})"
        if problem is not None:
            raise ConfigError(
                f"{what} name {name[:80]!r} {problem}",
                hint=f"name an existing {what} of the {self.name} database",
            )

    def placeholder(self, index: int) -> str:
        """The `index`-th (1-based) parameter marker."""
        if self.placeholder_style == "numeric":
            return f"${index}"
        return "%s" if self.placeholder_style == "format" else "?"

    def text(self, sql: str) -> str:
        """`sql` as the driver must see it beside markers (psycopg: `%` doubled)."""
        return sql.replace("%", "%%") if self.placeholder_style == "format" else sql

    def table_parts(self, table: str) -> list[str]:
        """`schema.table` (each part bare, or quoted as the dialect quotes) as its names."""
        parts: list[str] = []
        text, at = table.strip(), 0
        while True:
            name, at = self._part(table, text, at)
            parts.append(name)
            if at == len(text):
                break
            if text[at] != ".":
                raise _bad_table(table, f"unexpected {text[at]!r} at character {at + 1}")
            at += 1
        if len(parts) > 3:
            raise _bad_table(table, "has more than three parts (database.schema.table)")
        for name in parts:
            self.check_identifier(name, what="table")
        return parts

    def _part(self, table: str, text: str, at: int) -> tuple[str, int]:
        pairs = {'"': '"', "[": "]", "`": "`"}
        opener = text[at] if at < len(text) else ""
        if opener in self.quote_openers:
            closer, name, at = pairs[opener], "", at + 1
            while True:
                end = text.find(closer, at)
                if end < 0:
                    raise _bad_table(table, f"a {opener} is never closed")
                name += text[at:end]
                if text[end + 1 : end + 2] == closer:  # a doubled quote is one quote
                    name, at = name + closer, end + 2
                    continue
                return name, end + 1
        match = _BARE.match(text, at)
        if match is None:
            raise _bad_table(
                table,
                f"{text[at : at + 20]!r} at character {at + 1} is not a plain name; quote a name "
                f"that holds other characters ({self.quote('my name', what='table')})",
            )
        return match.group(), match.end()

    def table(self, table: str) -> str:
        """The table name quoted part by part."""
        return ".".join(self.quote(part, what="table") for part in self.table_parts(table))

    def first_row(self, select: str) -> str:
        """`select` (a `SELECT ...` without ORDER BY's limit) reduced to its first row."""
        if self.top:
            return "SELECT TOP 1" + select.removeprefix("SELECT")
        return f"{select} LIMIT 1"

    def limit(self, select: str, rows: int) -> str:
        """`select` (ending in its ORDER BY) reduced to its first `rows` rows."""
        if self.top:
            return f"SELECT TOP {int(rows)}" + select.removeprefix("SELECT")
        return f"{select} LIMIT {int(rows)}"

    def offset(self) -> tuple[str, str]:
        """The text before and after the bound count of rows to skip (after an ORDER BY)."""
        if self.name == "sqlite":
            return " LIMIT -1 OFFSET ", ""
        return (" OFFSET ", " ROWS") if self.top else (" OFFSET ", "")


def _bad_table(table: str, reason: str) -> ConfigError:
    return ConfigError(
        f"table {table!r} is not a table name: {reason}",
        hint="write schema.table, quoting a part that holds other characters than letters, "
        "digits and _; or read with `query:`",
    )


POSTGRES = Dialect("postgres", '"', '"', 63, "numeric", row_values=True)
POSTGRES_ADBC = Dialect("postgres", '"', '"', 63, "numeric", inline_integers=True, row_values=True)
# The same statements with psycopg's markers, and with ODBC's (psqlODBC).
POSTGRES_FORMAT = Dialect("postgres", '"', '"', 63, "format", row_values=True)
POSTGRES_QMARK = Dialect("postgres", '"', '"', 63, "qmark", row_values=True)
MSSQL = Dialect("mssql", "[", "]", 128, "qmark", top=True, quote_openers=('"', "["))
SQLITE = Dialect("sqlite", '"', '"', 1024, "qmark", quote_openers=('"', "[", "`"), row_values=True)
DUCKDB = Dialect("duckdb", '"', '"', 1024, "qmark", row_values=True)
