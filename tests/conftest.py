"""Session-wide services, each started only when a test needs it: Azurite (tests/support/azurite.py)
and PostgreSQL (tests/support/postgres.py)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from tests.support import azurite as azurite_support
from tests.support import postgres as postgres_support


@pytest.fixture(scope="session")
def azurite() -> Iterator[azurite_support.Azurite]:
    """A blob service on 127.0.0.1 for this worker. Tests that need it fail when it cannot be
    installed or started, unless HYGGE_TEST_NO_AZURITE=1 says to skip them."""
    if os.environ.get(azurite_support.DISABLE_VARIABLE) == "1":
        pytest.skip(f"{azurite_support.DISABLE_VARIABLE}=1: the Azurite tests do not run")
    try:
        process = azurite_support.start()
    except azurite_support.AzuriteUnavailableError as error:
        problem = str(error)
    else:
        problem = None
    if problem is not None:
        pytest.fail(f"Azurite is needed and could not run: {problem}", pytrace=False)
    try:
        yield azurite_support.Azurite(process.host, process.port)
    finally:
        process.stop()


@pytest.fixture
def blob_container(azurite: azurite_support.Azurite) -> str:
    """The name of a new, empty container in Azurite."""
    from azure.storage.blob import BlobServiceClient

    name = f"t-{uuid.uuid4().hex[:20]}"
    BlobServiceClient.from_connection_string(azurite.connection_string).create_container(name)
    return name


@pytest.fixture(scope="session")
def postgres() -> Iterator[postgres_support.Postgres]:
    """A PostgreSQL server on 127.0.0.1 for this worker (tests/support/postgres.py). Tests that
    need it fail when it cannot be installed or started, unless HYGGE_TEST_NO_POSTGRES=1 says to
    skip them."""
    if os.environ.get(postgres_support.DISABLE_VARIABLE) == "1":
        pytest.skip(f"{postgres_support.DISABLE_VARIABLE}=1: the PostgreSQL tests do not run")
    try:
        process = postgres_support.start()
    except postgres_support.PostgresUnavailableError as error:
        pytest.fail(f"PostgreSQL is needed and could not run: {error}", pytrace=False)
    try:
        yield process.server
    finally:
        process.stop()


@pytest.fixture
def pg_schema(postgres: postgres_support.Postgres) -> str:
    """A new, empty schema of the test PostgreSQL for one test's tables."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres.conninfo) as connection:
        connection.execute(f'CREATE SCHEMA "{name}"')
    return name
