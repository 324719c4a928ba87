"""`hygge reset` then a plain `hygge go` doubles nothing, in every store type.

An incremental entity's first run after a reset reads everything again and publishes as a
full_drop (`hygge.engine.after_reset`); a merge entity's upserts on its keys. After it, and
after a kill -9 anywhere in it followed by another `hygge go`, the store holds exactly the
source: row count and an order-insensitive content hash. `--keep-data` appends, as asked.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from hygge.cli.app import app
from hygge.faults import CRASH_EXIT_CODE
from hygge.storage import LocalStorage
from hygge.stores.duckdb_database import close_databases
from hygge.stores.duckdb_names import TableName
from tests.support.cli import hygge
from tests.support.data import content_hash, orders
from tests.support.duckdb_lake import read_table
from tests.support.open_mirroring_checker import assert_valid, replay
from tests.support.sql_stores import PASSWORD_VARIABLE, read_postgres, read_sqlite
from tests.support.workspace import crash, land, read_lake, write_workspace

FLOW = """\
home: {type: parquet, path: landing}
store: %s
run_type: %s
key_columns: [id]
watermark: {column: updated_at}
entities: [orders]
"""
Reader = Callable[[Path], pl.DataFrame | None]


def _duckdb(ws: Path) -> pl.DataFrame | None:
    return read_table(ws / "wh.duckdb", TableName("main", "orders"))


def _mirror(ws: Path) -> pl.DataFrame | None:
    storage = LocalStorage(ws / "onelake")
    assert_valid(storage, "LandingZone")
    return replay(storage, "LandingZone/orders")


STORES: dict[str, tuple[str, Reader]] = {
    "parquet": ("lake", lambda ws: read_lake(ws, "orders")),
    "delta": ("{type: delta, path: tables}", lambda ws: pl.read_delta(str(ws / "tables/orders"))),
    "duckdb": ("{type: duckdb, path: wh.duckdb, table: '{entity}'}", _duckdb),
    "sqlite": (
        "{type: sqlite, path: wh.sqlite, table: '{entity}'}",
        lambda ws: read_sqlite(ws / "wh.sqlite", "orders", orders(0).schema),
    ),
    "open_mirroring": (
        "{type: open_mirroring, path: onelake/LandingZone, folder_deletion_wait_seconds: 0}",
        _mirror,
    ),
}
MERGING = ["delta", "duckdb", "sqlite", "open_mirroring"]


def _said(done) -> str:
    return " ".join((done.stdout + done.stderr).split())


def _hygge(ws: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """`hygge ARGS -w WS` in-process (a child process per command is slow on a busy machine)."""
    done = CliRunner(env={"COLUMNS": "400", **(env or {})}).invoke(
        app, [*args, "-w", str(ws)], catch_exceptions=False
    )
    said = " ".join(done.output.split())
    assert done.exit_code == 0, said
    return said


def _go(ws: Path, env: dict[str, str] | None = None) -> str:
    return _hygge(ws, "go", env=env)


def _reset(ws: Path, *extra: str, env: dict[str, str] | None = None) -> str:
    said = _hygge(ws, "reset", "-f", "shop", "-e", "orders", "--yes", *extra, env=env)
    assert "forgot watermark" in said, said
    return said


def _loaded_then_reset(
    root: Path, store: str, run_type: str, env: dict[str, str] | None = None, project: str = ""
) -> tuple[Path, pl.DataFrame]:
    """Two runs (12 rows, then 11 more), then a reset; returns the workspace and the source."""
    ws = write_workspace(root, {"shop": FLOW % (store, run_type)}, project or "name: shop\n")
    land(ws, "orders", "a", orders(12))
    _go(ws, env)
    land(ws, "orders", "b", orders(11, start=12))
    _go(ws, env)
    _reset(ws, env=env)
    return ws, orders(23)


def _assert_holds(found: pl.DataFrame | None, source: pl.DataFrame) -> None:
    assert found is not None
    table = found.select(source.columns).cast(dict(source.schema))  # type: ignore[arg-type]
    assert table.height == source.height
    assert content_hash(table) == content_hash(source)


@pytest.mark.parametrize("kind", list(STORES))
def test_a_go_after_reset_of_an_incremental_entity_doubles_no_row(tmp_path, kind):
    store, read = STORES[kind]
    ws, source = _loaded_then_reset(tmp_path / "ws", store, "incremental")

    said = _go(ws)

    assert "first run after reset: full_drop" in said, said
    assert "success shop.orders 23 rows" in said, said
    _assert_holds(read(ws), source)


@pytest.mark.parametrize("kind", list(STORES))
def test_the_runs_after_the_first_after_reset_append_again(tmp_path, kind):
    store, read = STORES[kind]
    ws, _ = _loaded_then_reset(tmp_path / "ws", store, "incremental")
    _go(ws)
    land(ws, "orders", "c", orders(5, start=23))

    said = _go(ws)

    assert "first run after reset" not in said, said
    assert "success shop.orders 5 rows" in said, said
    _assert_holds(read(ws), orders(28))


@pytest.mark.parametrize("kind", MERGING)
def test_a_merge_after_reset_is_idempotent(tmp_path, kind):
    store, read = STORES[kind]
    ws, source = _loaded_then_reset(tmp_path / "ws", store, "merge")

    said = _go(ws)

    assert "success shop.orders 23 rows" in said, said
    assert "first run after reset" not in said, said
    _assert_holds(read(ws), source)


@pytest.mark.parametrize(
    "point", ["after_checkpoint", "before_publish", "after_publish", "after_ledger"]
)
@pytest.mark.parametrize("kind", ["parquet", "duckdb", "sqlite"])
def test_a_kill_during_the_first_run_after_reset_then_go_doubles_no_row(tmp_path, kind, point):
    store, read = STORES[kind]
    ws, source = _loaded_then_reset(tmp_path / "ws", store, "incremental")

    close_databases()  # this process's DuckDB connection would lock the child out
    assert crash(ws, point) == CRASH_EXIT_CODE
    _go(ws)

    _assert_holds(read(ws), source)
    mark = (ws / ".hygge" / "resets" / "shop" / "orders.json").read_text()
    assert '"full_drop_next":false' in mark


@pytest.mark.parametrize("kind", ["delta", "open_mirroring"])
def test_a_kill_before_the_publish_after_reset_then_go_doubles_no_row(tmp_path, kind):
    store, read = STORES[kind]
    ws, source = _loaded_then_reset(tmp_path / "ws", store, "incremental")

    killed = hygge(ws, "go", env={"HYGGE_FAULT": "before_publish:exit"})
    assert killed.returncode == CRASH_EXIT_CODE, _said(killed)
    _go(ws)

    _assert_holds(read(ws), source)


def test_a_reset_with_keep_data_of_an_emptied_store_lets_the_next_run_append_everything(
    tmp_path,
):
    ws = write_workspace(tmp_path / "ws", {"shop": FLOW % ("lake", "incremental")}, "name: s\n")
    land(ws, "orders", "a", orders(12))
    _go(ws)
    for published in (ws / "lake" / "orders").glob("*.parquet"):
        published.unlink()  # the user empties the store, as --keep-data asks

    said = _reset(ws, "--keep-data")
    went = _go(ws)

    assert "--keep-data: that run appends everything" in said, said
    assert "first run after reset" not in went, went
    _assert_holds(read_lake(ws, "orders"), orders(12))


def test_a_reset_run_of_an_empty_source_empties_the_store(tmp_path):
    ws = write_workspace(tmp_path / "ws", {"shop": FLOW % ("lake", "incremental")}, "name: s\n")
    landed = land(ws, "orders", "a", orders(12))
    _go(ws)
    _reset(ws)
    landed.write_bytes(b"")  # the source emptied, as a reset is meant to see
    landed.unlink()
    land(ws, "orders", "z", orders(0))

    said = _go(ws)

    assert "the source is empty, so the entity is now empty" in said, said
    assert read_lake(ws, "orders").height == 0


@pytest.mark.postgres
def test_a_go_after_reset_of_a_postgres_entity_doubles_no_row(tmp_path, postgres, pg_schema):
    env = {PASSWORD_VARIABLE: postgres.password}
    project = (
        "name: shop\nconnections:\n"
        f"  pg: {{type: postgres, url: '{postgres.url}', password: '${{{PASSWORD_VARIABLE}}}'}}\n"
    )
    store = f"{{type: postgres, connection: pg, table: '{pg_schema}.\"{{entity}}\"'}}"
    for run_type in ("incremental", "merge"):
        ws, source = _loaded_then_reset(
            tmp_path / run_type, store.replace("{entity}", f"{{entity}}_{run_type}"), run_type,
            env, project,
        )  # fmt: skip

        said = _go(ws, env)

        assert "success shop.orders 23 rows" in said, said
        _assert_holds(read_postgres(postgres.conninfo, pg_schema, f"orders_{run_type}"), source)


def test_a_dry_run_after_reset_says_the_next_run_replaces_the_store(tmp_path):
    ws, _ = _loaded_then_reset(tmp_path / "ws", "lake", "incremental")

    said = _hygge(ws, "go", "--dry-run")

    assert "first run after reset: full_drop, replacing what the store holds" in said, said
    assert read_lake(ws, "orders").height == 23  # a dry run changes nothing


def test_the_run_after_reset_of_an_entity_with_initial_holds_only_rows_above_it(tmp_path):
    flow = (FLOW % ("lake", "incremental")).replace(
        "watermark: {column: updated_at}", "watermark: {column: id, initial: 9}"
    )
    ws = write_workspace(tmp_path / "ws", {"shop": flow}, "name: shop\n")
    land(ws, "orders", "a", orders(23))
    _go(ws)
    _reset(ws)

    said = _go(ws)

    assert "success shop.orders 13 rows" in said, said
    _assert_holds(read_lake(ws, "orders"), orders(13, start=10))


def test_a_damaged_reset_record_fails_the_run_naming_the_fix_and_a_reset_repairs_it(tmp_path):
    ws, source = _loaded_then_reset(tmp_path / "ws", "lake", "incremental")
    (ws / ".hygge" / "resets" / "shop" / "orders.json").write_text("{not json")

    code = CliRunner(env={"COLUMNS": "400"}).invoke(app, ["go", "-w", str(ws)])
    said = " ".join(code.output.split())

    assert code.exit_code == 1, said
    assert "resets" in said and "hygge reset -e shop.orders" in said, said
    assert read_lake(ws, "orders").height == 23  # nothing published
    said = _hygge(ws, "reset", "-f", "shop", "--yes")
    assert "forgot an unreadable record of the last reset" in said, said
    _go(ws)
    _assert_holds(read_lake(ws, "orders"), source)


@pytest.mark.parametrize("kind", ["parquet", "delta", "duckdb", "sqlite"])
def test_the_completion_marker_of_the_first_run_after_reset_records_a_full_drop(tmp_path, kind):
    """It replaced what the store held: its marker says full_drop, not the entity's run type;
    the run after it appends again and its marker says incremental."""
    from hygge.config import load_workspace
    from hygge.engine.plan import Selection, plan_run
    from hygge.types import RunType

    ws, _ = _loaded_then_reset(tmp_path / "ws", STORES[kind][0], "incremental")

    def marker() -> RunType:
        (task,) = plan_run(load_workspace(ws), Selection()).tasks
        commit = task.store.open(task.place).last_commit()
        close_databases()
        assert commit is not None
        return commit.run_type

    _go(ws)
    assert marker() is RunType.FULL_DROP
    land(ws, "orders", "c", orders(5, start=23))
    _go(ws)
    assert marker() is RunType.INCREMENTAL
