"""SQL connections in hygge.yml: their shapes, their defaults, and their secrets kept apart."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from hygge.connections import (
    DuckdbConnection,
    MssqlConnection,
    PostgresConnection,
    SqliteConnection,
)

SECRET = {"password": SecretStr("p;w}d=1")}


def test_a_postgres_url_gives_libpq_its_fields_and_the_secret():
    connection = PostgresConnection(
        url="postgresql://loader@db.example.net:6543/sales", password="${PG_PASSWORD}"
    )
    params = connection.libpq_params(SECRET)
    assert params["host"] == "db.example.net" and params["port"] == "6543"
    assert params["dbname"] == "sales" and params["user"] == "loader"
    assert params["password"] == "p;w}d=1"
    assert connection.label() == "postgres db.example.net:6543/sales"


def test_postgres_fields_without_a_password_leave_it_to_pgpass():
    connection = PostgresConnection(host="db", database="sales", user="loader")
    assert "password" not in connection.libpq_params({})


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        pytest.param({"url": "postgresql://u:pw@h/db"}, "url holds a password", id="password"),
        pytest.param({"url": "mysql://h/db"}, "must start with postgresql://", id="scheme"),
        pytest.param({"host": "h"}, "needs `url`, or `host` and `database`", id="no-database"),
        pytest.param(
            {"url": "postgresql://h/db", "host": "h"}, "either `url` or", id="url-and-fields"
        ),
    ],
)
def test_a_postgres_connection_that_cannot_work_is_refused(fields, message):
    with pytest.raises(ValidationError, match=message):
        PostgresConnection(**fields)


def test_mssql_defaults_are_the_originals_and_azure_ad():
    connection = MssqlConnection(server="srv.database.windows.net", database="sales")
    assert connection.auth == "azure_ad"
    text = connection.odbc_string({})
    assert text.startswith("Driver={ODBC Driver 18 for SQL Server};Server=srv.database")
    assert "Encrypt=yes;TrustServerCertificate=yes;Connection Timeout=30;" in text
    assert "PWD" not in text


def test_mssql_yes_no_switches_of_the_original_are_booleans():
    connection = MssqlConnection(server="s", database="d", encrypt="No", trust_cert="yes")
    assert connection.encrypt is False and connection.trust_cert is True


def test_a_sql_login_password_is_braced_so_its_punctuation_stays_in_it():
    connection = MssqlConnection(
        server="s", database="d", auth="sql", user="loader", password="${SQL_PASSWORD}"
    )
    assert connection.odbc_string(SECRET).endswith("UID=loader;PWD={p;w}}d=1};")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        pytest.param({"server": "s", "database": "d", "auth": "sql"}, "needs `user`", id="sql"),
        pytest.param({"auth": "connection_string"}, "needs `connection_string", id="cs"),
        pytest.param({"server": "s"}, "needs `server` and `database`", id="no-database"),
        pytest.param(
            {"server": "s", "database": "d", "password": "hunter2", "auth": "sql", "user": "u"},
            "never as its value",
            id="plain-password",
        ),
    ],
)
def test_an_mssql_connection_that_cannot_work_is_refused(fields, message):
    with pytest.raises(ValidationError, match=message):
        MssqlConnection(**fields)


def test_a_full_odbc_connection_string_is_used_as_it_is():
    connection = MssqlConnection(auth="connection_string", connection_string="${MSSQL_ODBC}")
    secret = {"connection_string": SecretStr("Driver={x};Server=y;")}
    assert connection.odbc_string(secret) == "Driver={x};Server=y;"
    assert "${MSSQL_ODBC}" in connection.label()


@pytest.mark.parametrize("kind", [SqliteConnection, DuckdbConnection])
def test_an_embedded_database_path_is_never_shell_expanded(kind):
    assert kind(path="data/shop.db").path == "data/shop.db"
    with pytest.raises(ValidationError, match="Write the file's full path"):
        kind(path="~/shop.db")
