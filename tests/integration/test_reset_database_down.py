"""`hygge reset` of an incremental PostgreSQL entity while its database is unreachable: it
says so (the host and port, and what to do), changes no state (watermark, checkpoint and
reset record as they were), and once the database is back the reset works and the next run
holds the source once (count and content hash). "Down" is the connection pointed at a port
where nothing listens: the session's server keeps serving the other tests."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hygge.cli.app import app
from hygge.faults import CRASH_EXIT_CODE
from tests.support.cli import hygge
from tests.support.data import content_hash, orders
from tests.support.sql_stores import PASSWORD_VARIABLE, read_postgres
from tests.support.workspace import land, write_workspace

pytestmark = pytest.mark.postgres

FLOW = """\
home: {type: parquet, path: landing}
store: {type: postgres, connection: pg, table: '%s.orders'}
run_type: incremental
watermark: {column: id}
entities: [orders]
"""


def _project(url: str) -> str:
    return (
        "name: shop\noptions: {checkpoint_rows: 5}\nconnections:\n"
        f"  pg: {{type: postgres, url: '{url}', password: '${{{PASSWORD_VARIABLE}}}'}}\n"
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _hygge(ws: Path, env: dict[str, str], *args: str) -> tuple[int, str]:
    done = CliRunner(env={"COLUMNS": "400", **env}).invoke(
        app, [*args, "-w", str(ws)], catch_exceptions=False
    )
    return done.exit_code, " ".join(done.output.split())


def _state(ws: Path) -> dict[str, bytes]:
    root = ws / ".hygge"
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "journal" not in path.parts and "locks" not in path.parts
    }


@pytest.mark.parametrize("interrupted", [False, True], ids=["published", "interrupted"])
def test_a_reset_while_the_database_is_down_says_so_changes_nothing_and_works_later(
    tmp_path: Path, postgres, pg_schema: str, interrupted: bool
) -> None:
    env = {PASSWORD_VARIABLE: postgres.password}
    up = _project(postgres.url)
    ws = write_workspace(tmp_path / "ws", {"shop": FLOW % pg_schema}, up)
    land(ws, "orders", "a", orders(12))
    assert _hygge(ws, env, "go")[0] == 0
    land(ws, "orders", "b", orders(8, start=12))
    if interrupted:  # a run killed before its publish: its staging in the database
        killed = hygge(ws, "go", env={**env, "HYGGE_FAULT": "before_publish:exit"})
        assert killed.returncode == CRASH_EXIT_CODE, killed.stdout + killed.stderr
    before = _state(ws)
    port = _free_port()
    (ws / "hygge.yml").write_text(up.replace(f":{postgres.port}/", f":{port}/"))

    code, said = _hygge(ws, env, "reset", "-f", "shop", "--yes")

    assert code == 1, said
    assert "cannot reset: a store's database is unreachable" in said, said
    assert f"{postgres.host}:{port}" in said, said
    assert "Nothing was reset" in said, said
    assert "Start the database server" in said and "hygge reset -f shop -e orders" in said, said
    assert _state(ws) == before  # no state changed

    (ws / "hygge.yml").write_text(up)
    code, said = _hygge(ws, env, "reset", "-f", "shop", "--yes")
    assert code == 0 and "watermark id = 11" in said, said
    assert ("forgot interrupted run" in said) == interrupted, said
    code, went = _hygge(ws, env, "go")
    assert code == 0 and "first run after reset: full_drop" in went, went

    table = read_postgres(postgres.conninfo, pg_schema, "orders")
    assert table is not None
    source = orders(20)
    table = table.select(source.columns).cast(dict(source.schema))  # type: ignore[arg-type]
    assert table.height == 20
    assert content_hash(table) == content_hash(source)
