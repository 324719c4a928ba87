"""The postgres store records each staged batch in `_hygge.batches`, in the transaction that
ingests it, instead of indexing `_hygge_seq` and scanning the staging table: what a write, a
retried write, a resume and a publish learn from those records, and what happens without them
(a staging table an older hygge left, which recorded none)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hygge.stores.sql.records import Records
from hygge.types import RunType
from tests.contract.store_contract import stage
from tests.integration.test_sql_stores import Target
from tests.support.data import orders
from tests.support.sql_stores import PASSWORD_VARIABLE, execute_postgres

pytestmark = pytest.mark.postgres


@pytest.fixture
def target(tmp_path: Path, postgres, pg_schema: str, monkeypatch: pytest.MonkeyPatch) -> Target:
    monkeypatch.setenv(PASSWORD_VARIABLE, postgres.password)
    return Target("postgres", tmp_path, postgres, pg_schema)


def _rows(target: Target, sql: str, params: list[object]) -> list[tuple[object, ...]]:
    import psycopg

    with psycopg.connect(target.postgres.conninfo) as connection:
        return [tuple(row) for row in connection.execute(sql, params).fetchall()]


def _recorded(target: Target, location: str) -> list[int]:
    found = _rows(target, "SELECT seq FROM _hygge.batches WHERE location = %s", [location])
    return sorted(int(str(seq)) for (seq,) in found)


def _staged(target: Target, location: str) -> list[tuple[int, int]]:
    found = _rows(
        target,
        f'SELECT "_hygge_seq", count(*) FROM _hygge."{location}" GROUP BY 1 ORDER BY 1',
        [],
    )
    return [(int(str(seq)), int(str(count))) for seq, count in found]


def _indexes(target: Target, schema: str, table: str) -> list[str]:
    found = _rows(
        target,
        "SELECT indexdef FROM pg_indexes WHERE schemaname = %s AND tablename = %s",
        [schema, table],
    )
    return [str(row[0]) for row in found]


def test_each_staged_batch_is_recorded_and_the_staging_table_has_no_index(
    target: Target,
) -> None:
    staging = stage(target.open(), [orders(3), orders(2, start=3)], RunType.FULL_DROP, "run-1")

    assert _recorded(target, staging.location) == [0, 1]
    assert _staged(target, staging.location) == [(0, 3), (1, 2)]
    assert _indexes(target, "_hygge", staging.location) == []
    target.open().publish(staging)

    assert _recorded(target, staging.location) == []  # dropped with the staging
    assert _indexes(target, target.schema, "orders") == []
    table = target.read("orders")
    assert table is not None and sorted(table["id"].to_list()) == [0, 1, 2, 3, 4]


def test_a_retried_write_replaces_its_own_batch_and_nothing_else(target: Target) -> None:
    store = target.open()
    first = stage(store, [orders(3)], RunType.FULL_DROP, "run-1")
    store.write(first, orders(2, start=3))  # committed, but its checkpoint was never saved
    store.write(first, orders(4, start=10))  # the engine writes the same batch again

    assert _recorded(target, first.location) == [0, 1]
    assert _staged(target, first.location) == [(0, 3), (1, 4)]


def test_a_write_that_fails_before_its_commit_leaves_neither_rows_nor_a_record(
    target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = target.open()
    staging = stage(store, [orders(3)], RunType.FULL_DROP, "run-1")

    def broken(self, session, location, seq) -> None:  # type: ignore[no-untyped-def]
        raise RuntimeError("killed between the ingest and its commit")

    monkeypatch.setattr(Records, "record_batch", broken)
    with pytest.raises(Exception, match="killed between"):
        store.write(staging, orders(2, start=3))
    monkeypatch.undo()

    assert _recorded(target, staging.location) == [0]
    assert _staged(target, staging.location) == [(0, 3)]  # the ingest rolled back with it
    listed = staging.model_copy(update={"artefacts": [*staging.artefacts, "000001"]})
    assert store.missing_staged(listed) == ["000001"]


def test_a_resume_discards_the_batches_no_checkpoint_listed(target: Target) -> None:
    store = target.open()
    checkpointed = stage(store, [orders(3)], RunType.FULL_DROP, "run-1")
    store.write(checkpointed, orders(2, start=3))  # staged, but no checkpoint lists it

    store.discard_unlisted(checkpointed)

    assert _recorded(target, checkpointed.location) == [0]
    assert _staged(target, checkpointed.location) == [(0, 3)]
    store.publish(checkpointed)
    table = target.read("orders")
    assert table is not None and sorted(table["id"].to_list()) == [0, 1, 2]


def test_a_staging_an_older_hygge_left_without_records_is_read_from_its_rows(
    target: Target,
) -> None:
    store = target.open()
    staging = stage(store, [orders(3), orders(2, start=3)], RunType.FULL_DROP, "run-1")
    execute_postgres(target.postgres.conninfo, "DELETE FROM _hygge.batches")

    assert store.missing_staged(staging) == []  # found by the rows' _hygge_seq
    retried = staging.model_copy(update={"artefacts": ["000000"], "next_sequence": 1})
    store.write(retried, orders(1, start=7))  # no records: the batch's rows are deleted first
    assert _staged(target, staging.location) == [(0, 3), (1, 1)]

    store.publish(staging)
    table = target.read("orders")
    assert table is not None and sorted(table["id"].to_list()) == [0, 1, 2, 7]


@pytest.mark.parametrize("stranger", ["DROP TABLE", "TRUNCATE"])
def test_a_staging_table_someone_else_dropped_or_emptied_is_never_published(
    target: Target, stranger: str
) -> None:
    from hygge.errors import StateError

    store = target.open()
    store.publish(stage(store, [orders(3)], RunType.FULL_DROP, "run-1"))
    staging = stage(store, [orders(2, start=3)], RunType.FULL_DROP, "run-2")
    execute_postgres(target.postgres.conninfo, f'{stranger} _hygge."{staging.location}"')

    assert store.missing_staged(staging) == ["000000"]
    with pytest.raises(StateError, match="gone from"):
        store.publish(staging)
    table = target.read("orders")  # the last published run, untouched
    assert table is not None and sorted(table["id"].to_list()) == [0, 1, 2]
