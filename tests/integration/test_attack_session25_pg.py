"""Session 25's attack on the PostgreSQL store's batch records (`_hygge.batches`), as a hostile
user: a kill -9 between a batch's ingest and its record, two `hygge go` at once into one
table, strangers editing `_hygge.batches` or a staging table between runs, hostile schema
names. Every check compares the table with the source (row count and content hash)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from hygge.types import RunType
from tests.contract.store_contract import assert_same_rows, stage
from tests.integration.test_sql_stores import Target
from tests.support.data import orders
from tests.support.sql_stores import PASSWORD_VARIABLE, execute_postgres, read_postgres
from tests.support.workspace import REPO, land, run, write_workspace

pytestmark = pytest.mark.postgres

FLOW = """\
home: {type: parquet, path: landing, batch_size: 2}
store: {type: postgres, connection: pg, batch_size: 2, table: %s}
run_type: %s
watermark: {column: updated_at}
entities: [orders]
"""


@pytest.fixture
def target(tmp_path: Path, postgres, pg_schema: str, monkeypatch: pytest.MonkeyPatch) -> Target:
    monkeypatch.setenv(PASSWORD_VARIABLE, postgres.password)
    return Target("postgres", tmp_path, postgres, pg_schema)


def _project(target: Target) -> str:
    url = target.postgres.url
    return f"name: test\nconnections:\n  pg: {{type: postgres, url: '{url}', password: " \
        f"'${{{PASSWORD_VARIABLE}}}'}}\n"  # fmt: skip


def _workspace(target: Target, root: Path, run_type: str = "full_drop", schema: str = "") -> Path:
    quoted = '"' + (schema or target.schema).replace('"', '""') + '"."orders"'
    flow = FLOW % ("'" + quoted.replace("'", "''") + "'", run_type)  # YAML single quotes
    return write_workspace(root, {"shop": flow}, _project(target))


def _table(target: Target, schema: str = "") -> pl.DataFrame | None:
    return read_postgres(target.postgres.conninfo, schema or target.schema, "orders",
                         orders(1).schema)  # fmt: skip


def _child(root: Path, fault: str | None = None, patch: str = "") -> subprocess.Popen[bytes]:
    """`hygge go` of `root` in a child process (HYGGE_FAULT `fault`; `patch`: Python run first)."""
    code = f"{patch}\nfrom pathlib import Path\nfrom tests.support.workspace import run\n" \
        f"import sys\nsys.exit(0 if run(Path({str(root)!r})).ok else 1)"  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "HYGGE_FAULT"}
    if fault:
        env["HYGGE_FAULT"] = fault
    return subprocess.Popen([sys.executable, "-c", code], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip


def _wait_stopped(child: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        if state == "T":
            return
        assert child.poll() is None, child.communicate()
        time.sleep(0.05)
    raise AssertionError("the child never stopped at its fault point")


def _wait_blocked(target: Target, child: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    """Until a statement of the server waits on a lock (or `child` ended)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and child.poll() is None:
        waiting = execute_rows(
            target, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        )
        if waiting[0][0]:
            return
        time.sleep(0.1)
    assert child.poll() is not None, "the second run never waited on the first"


# -- kill -9 between a batch's ingest and its record -------------------------------------------

KILL_AFTER_INGEST = """\
import os, signal
from hygge.stores.sql import records
def _killed(self, session, location, seq):
    if seq == 1:  # the second batch's rows are ingested, its record not yet written
        os.kill(os.getpid(), signal.SIGKILL)
records.Records.record_batch = _killed
"""


def test_a_kill_9_between_a_batchs_ingest_and_its_record_loses_and_doubles_nothing(
    target: Target, tmp_path: Path
) -> None:
    root = _workspace(target, tmp_path / "ws", "incremental")
    source = orders(7)
    land(root, "orders", "a", source)

    child = _child(root, patch=KILL_AFTER_INGEST)
    child.communicate(timeout=120)
    assert child.returncode == -signal.SIGKILL

    report = run(root)  # the next `hygge go` resumes the run the kill left

    assert report.ok, report.results
    assert_same_rows(_table(target), source)
    ours = '"' + target.schema.replace('"', '""') + '"."orders"'  # the key records use
    found = execute_rows(target, "SELECT count(*) FROM _hygge.stagings WHERE target = %s", ours)
    assert found == [(0,)]  # other tests' runs on this server may hold stagings of their own


def execute_rows(target: Target, sql: str, *params: object) -> list[tuple[object, ...]]:
    import psycopg

    with psycopg.connect(target.postgres.conninfo) as connection:
        return [tuple(row) for row in connection.execute(sql, params or None).fetchall()]


# -- two `hygge go` at once into the same table ------------------------------------------------


def test_two_runs_of_one_workspace_at_once_land_the_source_once(
    target: Target, tmp_path: Path
) -> None:
    root = _workspace(target, tmp_path / "ws", "incremental")
    source = orders(6)
    land(root, "orders", "a", source)

    first = _child(root, fault="during_publish:stop")
    _wait_stopped(first)
    second = _child(root)
    second_out = second.communicate(timeout=120)
    os.kill(first.pid, signal.SIGCONT)
    first.communicate(timeout=120)

    assert second.returncode == 1 and b"lock" in b"".join(second_out).lower()
    assert first.returncode == 0
    assert_same_rows(_table(target), source)


@pytest.mark.parametrize("existing", [False, True], ids=["first-run", "adopted-table"])
def test_two_workspaces_publishing_into_one_table_at_once_never_mix_their_rows(
    target: Target, tmp_path: Path, existing: bool
) -> None:
    if existing:  # a user's table, which both workspaces may adopt
        target.execute(
            "CREATE TABLE orders (id bigint, customer text, amount double precision, "
            "updated_at timestamp)"
        )
    mine, theirs = orders(4), orders(3, start=100)
    roots = []
    for name, frame in (("a", mine), ("b", theirs)):
        # a full_drop over a table hygge did not create is refused outright (if_exists:
        # append keeps its rows), so the adopting runs are incremental ones
        root = _workspace(target, tmp_path / name, "incremental" if existing else "full_drop")
        if existing:
            flow = root / "flows" / "shop" / "flow.yml"
            flow.write_text(flow.read_text().replace("'}\n", "', if_exists: append}\n", 1))
        land(root, "orders", "a", frame)
        roots.append(root)

    first = _child(roots[0], fault="during_publish:stop")
    _wait_stopped(first)
    second = _child(roots[1])
    _wait_blocked(target, second)  # the second run reaches its publish, waits on the first's
    os.kill(first.pid, signal.SIGCONT)
    first.communicate(timeout=120)
    out = second.communicate(timeout=120)

    assert first.returncode == 0
    assert second.returncode == 1, out  # refused: the table is workspace a's now
    assert_same_rows(_table(target), mine)


# -- strangers editing hygge's records or a staging table between runs -------------------------


@pytest.mark.xfail(
    strict=True,
    reason="defect: a staging table that lost one recorded batch's rows (a stranger's DELETE) "
    "is published without them; the batch records are trusted unless the staging table is "
    "empty (records.staged_sequences), and telling which batches still have rows takes the "
    "scan of the staging table the records exist to avoid (README, PostgreSQL figures)",
)
def test_a_staging_table_missing_one_batchs_rows_is_never_published(target: Target) -> None:
    from hygge.errors import StateError

    store = target.open()
    store.publish(stage(store, [orders(3)], RunType.FULL_DROP, "run-1"))
    staging = stage(store, [orders(2, start=3), orders(2, start=5)], RunType.FULL_DROP, "run-2")
    execute_postgres(
        target.postgres.conninfo, f'DELETE FROM _hygge."{staging.location}" WHERE _hygge_seq = 1'
    )

    with pytest.raises(StateError, match="gone from"):
        store.publish(staging)
    assert_same_rows(target.read("orders", orders(1).schema), orders(3))


@pytest.mark.xfail(
    strict=True,
    reason="defect: a batch whose `_hygge.batches` row a stranger deleted (while other batches "
    "stay recorded) is neither discarded by the resume nor deleted by its retried write "
    "(records.forget_batch returns early for an unrecorded batch), so its rows double; "
    "finding rows without a record needs a scan of the staging table per chunk",
)
def test_a_batch_record_deleted_by_a_stranger_does_not_double_a_resumed_batch(
    target: Target,
) -> None:
    store = target.open()
    listed = stage(store, [orders(2)], RunType.FULL_DROP, "run-1")
    store.write(listed, orders(2, start=2))  # committed; the crash lost its checkpoint
    execute_postgres(
        target.postgres.conninfo,
        f"DELETE FROM _hygge.batches WHERE location = '{listed.location}' AND seq = 1",
    )

    store.discard_unlisted(listed)  # the resume
    resumed = store.write(listed, orders(2, start=2))
    store.publish(resumed)

    assert_same_rows(target.read("orders", orders(1).schema), orders(4))


def test_an_emptied_batches_table_between_runs_changes_nothing(
    target: Target, tmp_path: Path
) -> None:
    root = _workspace(target, tmp_path / "ws", "incremental")
    land(root, "orders", "a", orders(3))
    assert run(root).ok
    execute_postgres(target.postgres.conninfo, "TRUNCATE _hygge.batches")
    land(root, "orders", "b", orders(4, start=3))

    assert run(root).ok
    assert_same_rows(_table(target), orders(7))


def test_batches_table_dropped_by_a_stranger_is_made_again(target: Target, tmp_path: Path) -> None:
    from hygge.stores.sql.records import forget_ready

    root = _workspace(target, tmp_path / "ws", "incremental")
    land(root, "orders", "a", orders(3))
    assert run(root).ok
    execute_postgres(target.postgres.conninfo, "DROP TABLE _hygge.batches")
    forget_ready(target.open().database.label())  # as a new `hygge go` process starts
    land(root, "orders", "b", orders(4, start=3))

    report = run(root)
    assert report.ok, report.results
    assert_same_rows(_table(target), orders(7))


# -- hostile schema names ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "schema",
    [
        pytest.param("a%s b", id="percent-s"),
        pytest.param("x'); DROP TABLE y; --", id="quote-injection"),
        pytest.param('q"uote', id="double-quote"),
        pytest.param("$1 dollar", id="dollar-marker"),
        pytest.param("stage_0123", id="staging-like"),
        pytest.param("Ünï cødé", id="unicode"),
    ],
)
def test_a_hostile_schema_name_lands_the_rows_there_and_nowhere_else(
    target: Target, tmp_path: Path, schema: str
) -> None:
    quoted = '"' + schema.replace('"', '""') + '"'
    execute_postgres(target.postgres.conninfo, f"CREATE SCHEMA {quoted}")
    root = _workspace(target, tmp_path / "ws", "incremental", schema=schema)
    land(root, "orders", "a", orders(3))
    assert run(root).ok
    land(root, "orders", "b", orders(2, start=3))

    report = run(root)

    assert report.ok, report.results
    assert_same_rows(_table(target, schema), orders(5))
    assert _table(target) is None


# -- a publish refused for good, then the way out the message names ----------------------------


@pytest.mark.parametrize("stranger", ["DROP TABLE", "TRUNCATE"])
def test_a_staging_table_lost_mid_publish_fails_naming_reset_and_full_drop_which_recover(
    target: Target, tmp_path: Path, stranger: str
) -> None:
    from tests.support.cli import hygge

    root = _workspace(target, tmp_path / "ws", "incremental")
    land(root, "orders", "a", orders(3))
    assert hygge(root, "go").returncode == 0
    land(root, "orders", "b", orders(4, start=3))
    crashed = hygge(root, "go", env={"HYGGE_FAULT": "during_publish:exit"})
    assert crashed.returncode == 86, crashed.stdout + crashed.stderr
    ((location,),) = execute_rows(
        target, f"SELECT location FROM _hygge.stagings WHERE target LIKE '\"{target.schema}\".%'"
    )
    execute_postgres(target.postgres.conninfo, f'{stranger} _hygge."{location}"')

    refused = hygge(root, "go")

    said = " ".join((refused.stdout + refused.stderr).split())
    assert refused.returncode == 1, said
    # the store's own words name the whole way out: a reset, then a full reload
    store_said = said.split(" — interrupted while publishing")[0]
    assert "gone from" in store_said, said
    assert "hygge reset -f shop -e orders" in store_said, said
    assert "hygge go --full-drop -e shop.orders" in store_said, said
    assert_same_rows(_table(target), orders(3))  # the last published run, untouched
    reset = hygge(root, "reset", "--flow", "shop", "--entity", "orders", "--yes")
    assert reset.returncode == 0, reset.stdout + reset.stderr
    reloaded = hygge(root, "go", "--full-drop")
    assert reloaded.returncode == 0, reloaded.stdout + reloaded.stderr
    assert_same_rows(_table(target), orders(7))
    again = hygge(root, "go")  # and the next plain run adds nothing
    assert again.returncode == 0, again.stdout + again.stderr
    assert_same_rows(_table(target), orders(7))


def test_batches_table_dropped_under_a_long_lived_process_is_made_again(
    target: Target, tmp_path: Path
) -> None:
    """A Functions host lives for many runs: hygge's tables a DBA dropped meanwhile are made
    again, not missed by every later run of that process."""
    root = _workspace(target, tmp_path / "ws", "incremental")
    land(root, "orders", "a", orders(3))
    assert run(root).ok
    execute_postgres(target.postgres.conninfo, "DROP TABLE _hygge.batches")
    land(root, "orders", "b", orders(4, start=3))

    report = run(root)

    assert report.ok, report.results
    assert_same_rows(_table(target), orders(7))


def test_a_batches_table_a_stranger_altered_fails_the_run_naming_it(
    target: Target, tmp_path: Path
) -> None:
    root = _workspace(target, tmp_path / "ws", "incremental")
    land(root, "orders", "a", orders(3))
    assert run(root).ok
    execute_postgres(
        target.postgres.conninfo, "ALTER TABLE _hygge.batches ADD COLUMN note text NOT NULL"
    )
    land(root, "orders", "b", orders(4, start=3))

    (failed,) = run(root).results

    execute_postgres(target.postgres.conninfo, "ALTER TABLE _hygge.batches DROP COLUMN note")
    assert failed.status.value == "fail"
    assert "batches" in (failed.message or "") and "note" in (failed.message or "")
    assert_same_rows(_table(target), orders(3))
    report = run(root)  # put right: the next run lands the rest once
    assert report.ok, report.results
    assert_same_rows(_table(target), orders(7))


@pytest.mark.parametrize("run_type", [RunType.FULL_DROP, RunType.INCREMENTAL])
def test_a_staging_table_a_stranger_dropped_a_column_of_is_never_published(
    target: Target, tmp_path: Path, run_type: RunType
) -> None:
    from hygge.engine.batches import encode_schema
    from hygge.errors import StateError

    store = target.open()
    store.publish(stage(store, [orders(3)], RunType.FULL_DROP, "run-1"))
    staging = stage(store, [orders(2, start=3)], run_type, "run-2")
    staging = staging.model_copy(update={"arrow_schema": encode_schema(orders(0))})
    execute_postgres(
        target.postgres.conninfo, f'ALTER TABLE _hygge."{staging.location}" DROP COLUMN amount'
    )

    with pytest.raises(StateError, match=r"\['amount'\]"):
        store.publish(staging)
    assert_same_rows(target.read("orders", orders(1).schema), orders(3))


@pytest.mark.parametrize("point", ["after_checkpoint", "before_publish"])
def test_stagings_records_emptied_after_a_crash_lead_back_to_the_source_once(
    target: Target, tmp_path: Path, point: str
) -> None:
    from tests.support.workspace import crash

    root = _workspace(target, tmp_path / "ws", "incremental")
    land(root, "orders", "a", orders(3))
    assert run(root).ok
    land(root, "orders", "b", orders(4, start=3))
    assert crash(root, point) == 86
    execute_postgres(
        target.postgres.conninfo,
        f"DELETE FROM _hygge.stagings WHERE target LIKE '\"{target.schema}\".%%'",
    )

    lost = run(root)

    assert not lost.ok and "gone from" in (lost.results[0].message or "")
    assert_same_rows(_table(target), orders(3))
    if point == "before_publish":  # publishing had begun: refused for good, the way out
        from tests.support.cli import hygge

        reset = hygge(root, "reset", "--flow", "shop", "--entity", "orders", "--yes")
        assert reset.returncode == 0, reset.stdout + reset.stderr
        again = run(root, run_type=RunType.FULL_DROP)
    else:  # discarded before publishing began: the next run reads the window again
        again = run(root)
    assert again.ok, again.results
    assert_same_rows(_table(target), orders(7))
