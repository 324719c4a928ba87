"""Which of hygge's columns a postgres staging table gets: a full_drop, swapped into place
whole, needs no staging order, so it stages `_hygge_seq` alone (no `_hygge_row` sent per row);
an incremental or merge run, which inserts in staging order, stages both. Either way the
published table has neither, also for a staging table an older hygge made with both."""

from __future__ import annotations

from pathlib import Path

import pytest

from hygge.types import RunType
from tests.contract.store_contract import assert_same_rows, stage
from tests.integration.test_sql_stores import Target
from tests.support.data import orders
from tests.support.sql_stores import PASSWORD_VARIABLE, execute_postgres

pytestmark = pytest.mark.postgres


@pytest.fixture
def target(tmp_path: Path, postgres, pg_schema: str, monkeypatch: pytest.MonkeyPatch) -> Target:
    monkeypatch.setenv(PASSWORD_VARIABLE, postgres.password)
    return Target("postgres", tmp_path, postgres, pg_schema)


def _columns(target: Target, schema: str, table: str) -> list[str]:
    import psycopg

    with psycopg.connect(target.postgres.conninfo) as connection:
        found = connection.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND "
            "table_name = %s ORDER BY ordinal_position",
            [schema, table],
        ).fetchall()
    return [str(name) for (name,) in found]


@pytest.mark.parametrize(
    ("run_type", "reserved"),
    [
        (RunType.FULL_DROP, ["_hygge_seq"]),
        (RunType.INCREMENTAL, ["_hygge_seq", "_hygge_row"]),
        (RunType.MERGE, ["_hygge_seq", "_hygge_row"]),
    ],
)
def test_a_run_stages_the_columns_its_publish_needs_and_publishes_neither(
    target: Target, run_type: RunType, reserved: list[str]
) -> None:
    store = target.open(key_columns=["id"])
    first, second = orders(3), orders(2, start=3)
    staging = stage(store, [first, second], run_type, "run-1")

    staged = _columns(target, "_hygge", staging.location)
    assert staged == [*first.columns, *reserved]
    store.publish(staging)

    assert _columns(target, target.schema, "orders") == first.columns
    assert_same_rows(target.read("orders", first.schema), orders(5))


def test_a_full_drop_staging_an_older_hygge_made_with_both_columns_publishes_whole(
    target: Target,
) -> None:
    store = target.open()
    staging = stage(store, [orders(3)], RunType.FULL_DROP, "run-1")
    execute_postgres(  # as a hygge before this change staged it: with the row column
        target.postgres.conninfo,
        f'ALTER TABLE _hygge."{staging.location}" ADD COLUMN "_hygge_row" bigint',
    )
    staging = store.write(staging, orders(2, start=3))  # a resumed run's next batch

    store.publish(staging)

    assert _columns(target, target.schema, "orders") == orders(1).columns
    assert_same_rows(target.read("orders", orders(1).schema), orders(5))
