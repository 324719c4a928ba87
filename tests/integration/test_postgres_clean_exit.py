"""`hygge go` of a PostgreSQL home and store, as a user runs it: the process exits with a clean
stderr. Connections hygge keeps for reuse (the home's session pool, the store's idle ADBC
connections) are closed before the interpreter tears down, not left to ADBC's `__del__`
(which printed `Exception ignored in ... TypeError` at exit)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import hygge
from tests.support.sql_stores import PASSWORD_VARIABLE, execute_postgres
from tests.support.workspace import write_workspace

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize(
    "store",
    [
        "{type: parquet, path: lake}",
        "{type: postgres, connection: pg, table: '%s.copied'}",
    ],
    ids=["postgres-home", "postgres-home-and-store"],
)
def test_a_postgres_run_exits_with_a_clean_stderr(tmp_path: Path, postgres, pg_schema, store):
    execute_postgres(
        postgres.conninfo,
        f'CREATE TABLE "{pg_schema}".orders (id int PRIMARY KEY, name text)',
        f"INSERT INTO \"{pg_schema}\".orders VALUES (1, 'a'), (2, 'b')",
    )
    project = (
        f"name: t\nconnections:\n  pg: {{type: postgres, url: '{postgres.url}', "
        f"password: '${{{PASSWORD_VARIABLE}}}'}}\n"
    )
    home = "home: {type: postgres, connection: pg, table: '" + pg_schema + ".{entity}'}\n"
    flow = home + "store: " + store.replace("%s", pg_schema) + "\nentities: [orders]\n"
    root = write_workspace(tmp_path / "ws", {"shop": flow}, project)

    done = hygge(root, "go", env={PASSWORD_VARIABLE: postgres.password})

    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 rows" in " ".join(done.stdout.split()), done.stdout
    assert "Exception ignored" not in done.stderr, done.stderr
    assert "Error" not in done.stderr, done.stderr
