"""SQL connections: PostgreSQL, SQL Server, SQLite, DuckDB (no driver is imported here).

Each says how to reach its database; the secrets stay `${VAR}` references until a home opens
the connection (`resolve_secrets`), so a task, a checkpoint or an error never holds them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal, TypeAlias
from urllib.parse import unquote, urlsplit

from pydantic import BeforeValidator, Field, SecretStr, field_validator, model_validator

from hygge.connections.base import ConnectionConfig, SecretReference
from hygge.types import unexpanded

ODBC_DRIVER_18 = "ODBC Driver 18 for SQL Server"


def _yes_no(value: object) -> object:
    """The original hygge wrote ODBC switches as "Yes"/"No": both spellings are a bool."""
    if isinstance(value, str) and value.strip().lower() in {"yes", "no", "true", "false"}:
        return value.strip().lower() in {"yes", "true"}
    return value


YesNo: TypeAlias = Annotated[bool, BeforeValidator(_yes_no)]


class PostgresConnection(ConnectionConfig):
    """A PostgreSQL server: a `url` (without the password) or host/port/database/user.

    The password comes from `password: ${VAR}`, else libpq's own sources (`~/.pgpass`,
    PGPASSFILE, PGPASSWORD), which hygge never reads itself.
    """

    type: Literal["postgres"] = "postgres"
    url: str | None = Field(
        None, description="e.g. postgresql://loader@db.example.net:5432/sales (no password)."
    )
    host: str | None = Field(None, min_length=1)
    port: int = Field(5432, ge=1, le=65535)
    database: str | None = Field(None, min_length=1)
    user: str | None = None
    password: SecretReference | None = None
    sslmode: Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] | None = (
        None
    )
    timeout: int = Field(30, ge=1, description="Seconds to wait for a connection.")

    @field_validator("url")
    @classmethod
    def _no_password_in_url(cls, url: str | None) -> str | None:
        if url is None:
            return None
        parts = urlsplit(url)
        if parts.scheme not in {"postgresql", "postgres"}:
            raise ValueError(f"url must start with postgresql:// (got '{parts.scheme}://')")
        if parts.password is not None:
            raise ValueError(
                "url holds a password: remove it and write `password: ${PG_PASSWORD}` (the "
                "environment variable that holds it), or keep it in ~/.pgpass"
            )
        return url

    @model_validator(mode="after")
    def _url_or_fields(self) -> PostgresConnection:
        if self.url is None and (self.host is None or self.database is None):
            raise ValueError("a postgres connection needs `url`, or `host` and `database`")
        if self.url is not None and (self.host is not None or self.database is not None):
            raise ValueError("write either `url` or `host`/`database`, not both")
        return self

    def libpq_params(self, secrets: Mapping[str, SecretStr]) -> dict[str, str]:
        """libpq keywords (host, port, dbname, user, password, ...) with the secret filled in."""
        params: dict[str, str] = {"connect_timeout": str(self.timeout)}
        if self.url is not None:
            parts = urlsplit(self.url)
            found = {
                "host": parts.hostname,
                "port": str(parts.port) if parts.port else None,
                "dbname": unquote(parts.path.lstrip("/")) or None,
                "user": unquote(parts.username) if parts.username else None,
            }
            params |= {key: value for key, value in found.items() if value}
        else:
            params |= {"host": self.host or "", "port": str(self.port)}
            params |= {"dbname": self.database or ""}
            if self.user:
                params["user"] = self.user
        if self.sslmode:
            params["sslmode"] = self.sslmode
        if "password" in secrets:
            params["password"] = secrets["password"].get_secret_value()
        return params

    def label(self) -> str:
        """`postgres db.example.net:5432/sales` (never a secret)."""
        params = self.libpq_params({})
        return f"postgres {params.get('host', '')}:{params.get('port', 5432)}/{params['dbname']}"


class MssqlConnection(ConnectionConfig):
    """A SQL Server or Azure SQL database, through an ODBC driver (pyodbc).

    auth `azure_ad` (the default, as in the original): an access token from
    DefaultAzureCredential, fetched again before it expires; `sql`: a SQL login, `user` and
    `password: ${VAR}`; `connection_string`: a full ODBC connection string `${VAR}`.
    """

    type: Literal["mssql"] = "mssql"
    server: str | None = Field(None, min_length=1)
    database: str | None = Field(None, min_length=1)
    driver: str = Field(ODBC_DRIVER_18, min_length=1, description="The ODBC driver's name.")
    encrypt: YesNo = Field(True, description="Encrypt the connection (Yes/No).")
    trust_cert: YesNo = Field(True, description="Trust the server certificate (Yes/No).")
    timeout: int = Field(30, ge=1, description="Seconds to wait for a connection.")
    auth: Literal["azure_ad", "sql", "connection_string"] = Field(
        "azure_ad",
        description="azure_ad: a DefaultAzureCredential token; sql: user + password; "
        "connection_string: a full ODBC connection string.",
    )
    user: str | None = None
    password: SecretReference | None = None
    connection_string: SecretReference | None = None
    pool_size: int | None = Field(
        None, ge=1, description="At most this many connections open at once to this database "
        "from one hygge process (partitions and entities wait for a free one); none: no cap."
    )  # fmt: skip

    @model_validator(mode="after")
    def _auth_fields(self) -> MssqlConnection:
        if self.auth == "connection_string":
            if self.connection_string is None:
                raise ValueError("auth 'connection_string' needs `connection_string: ${VAR}`")
            return self
        if self.connection_string is not None:
            raise ValueError("`connection_string` is read only with `auth: connection_string`")
        if self.server is None or self.database is None:
            raise ValueError("an mssql connection needs `server` and `database`")
        if self.auth == "sql" and (self.user is None or self.password is None):
            raise ValueError("auth 'sql' needs `user` and `password: ${VAR}`")
        return self

    def odbc_string(self, secrets: Mapping[str, SecretStr]) -> str:
        """The ODBC connection string, the secret filled in (an azure_ad token is passed to
        the driver apart, as a connection attribute)."""
        if self.auth == "connection_string":
            return secrets["connection_string"].get_secret_value()
        parts = {
            "Driver": f"{{{self.driver}}}",
            "Server": self.server or "",
            "Database": self.database or "",
            "Encrypt": "yes" if self.encrypt else "no",
            "TrustServerCertificate": "yes" if self.trust_cert else "no",
            "Connection Timeout": str(self.timeout),
        }
        if self.auth == "sql":
            parts |= {"UID": self.user or "", "PWD": _braced(secrets["password"])}
        return ";".join(f"{key}={value}" for key, value in parts.items()) + ";"

    def label(self) -> str:
        """`mssql server/database` (never a secret)."""
        if self.auth == "connection_string":
            return f"mssql (connection string {self.connection_string})"
        return f"mssql {self.server}/{self.database}"


def _braced(secret: SecretStr) -> str:
    """An ODBC value in braces, its `}` doubled, so `;` or `=` in a password stay in it."""
    return "{" + secret.get_secret_value().replace("}", "}}") + "}"


class FileDatabaseConnection(ConnectionConfig):
    """An embedded database in one file, relative to the workspace root."""

    path: str = Field(min_length=1, description="The database file (relative: to the root).")

    @field_validator("path")
    @classmethod
    def _expanded(cls, path: str) -> str:
        reason = unexpanded(path)
        if reason is not None:
            raise ValueError(f"path '{path}' {reason}. Write the file's full path")
        return path


class SqliteConnection(FileDatabaseConnection):
    """A SQLite database file."""

    type: Literal["sqlite"] = "sqlite"


class DuckdbConnection(FileDatabaseConnection):
    """A DuckDB database file."""

    type: Literal["duckdb"] = "duckdb"
