"""The mssql store's publish lock: each publish first takes an exclusive application lock of
its table (`sp_getapplock`, owned by the transaction), so two publishes into one table take
turns; one not granted (its timeout waited out, cancelled, a deadlock victim) stops the
publish before it changes anything, naming the table and the session holding the lock.
SQL Server cannot run here: the statements are parsed as T-SQL (sqlglot) and their order and
arguments checked on what the store sends, through the store's pyodbc session as well."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from sqlglot import exp

from hygge.errors import StateError
from hygge.stores.sql.config import LOCK_TIMEOUT, MssqlStoreConfig
from hygge.stores.sql.mssql import MssqlDatabase
from hygge.stores.sql.mssql_dialect import MssqlDialect
from hygge.stores.sql.names import TableName
from hygge.stores.sql.store import SqlStore
from hygge.types import Place, RunType
from tests.support.data import orders
from tests.support.recording_sql import RecordingDatabase

HOLDER = [("57", "loader", "etl-vm-2", "hygge")]


def _store(database: Any, tmp_path: Path, entity: str = "orders", **fields: Any) -> SqlStore:
    config = MssqlStoreConfig(server="db", database="sales", **fields)
    return SqlStore(config, database, Place(tmp_path, "sales", entity, "shop"))


def _staged(store: SqlStore) -> Any:
    """A run's staging of two batches (the recording database answers for two)."""
    database, frame = store.database, orders(3)
    staging = store.write(store.prepare("run-1", RunType.FULL_DROP), frame)
    location = database.dialect.staging_table(store.target, "run-1")
    incoming = {n: database.dialect.column_type(store.target, frame[n]) for n in frame.columns}
    database.tables[location] = incoming | database.dialect.staging_columns()  # type: ignore[attr-defined]
    return store.write(staging, frame)


def _execute(text: str) -> exp.Execute:
    trees = sqlglot.parse(text, read="tsql", error_level=sqlglot.ErrorLevel.RAISE)
    assert not any(list(t.find_all(exp.Command)) for t in trees if t is not None), text
    kinds = [type(t) for t in trees]
    assert kinds == [exp.Set, exp.Declare, exp.Execute, exp.Select], (kinds, text)
    execute = trees[2]
    assert isinstance(execute, exp.Execute)
    return execute


def test_the_lock_is_sp_getapplock_exclusive_owned_by_the_transaction_with_its_timeout():
    dialect = MssqlDialect(lock_timeout=45)
    (text,) = dialect.lock_target(TableName("dbo", "orders"))

    execute = _execute(text)

    assert execute.this.sql("tsql") == "sys.sp_getapplock"
    assert execute.args["return_status"].sql("tsql") == "@granted"
    resource, mode, owner, timeout = (e.sql("tsql") for e in execute.expressions)
    assert resource == f"N'{dialect.lock_resource(TableName('dbo', 'orders'))}'"
    assert (mode, owner, timeout) == ("N'Exclusive'", "N'Transaction'", "45000")
    assert sqlglot.parse(text, read="tsql")[3].sql("tsql") == "SELECT @granted"


@pytest.mark.parametrize(
    "name", ["orders", "o]; DROP TABLE canary; --", "o'); DROP TABLE canary; --", "ørders 注文"]
)
def test_a_resource_is_short_and_the_same_for_names_sql_server_takes_as_one(name: str):
    dialect = MssqlDialect()
    resource = dialect.lock_resource(TableName("dbo", name))

    assert resource.startswith("hygge:") and len(resource) <= 32  # dm_tran_locks shows it whole
    assert resource == dialect.lock_resource(TableName("DBO", name.upper()))  # names fold case
    assert resource != dialect.lock_resource(TableName("sales", name))
    _execute(dialect.lock_target(TableName("dbo", name))[0])  # hostile names: no text of them


def test_the_lock_timeout_of_the_store_config_reaches_the_statement(tmp_path: Path):
    place = Place(tmp_path, "sales", "orders", "shop")
    assert MssqlStoreConfig(server="db", database="sales").lock_timeout == LOCK_TIMEOUT == 600
    config = MssqlStoreConfig(server="db", database="sales", lock_timeout=7)

    (text,) = config.open_database(place).dialect.lock_target(TableName("dbo", "orders"))

    assert _execute(text).expressions[3].sql("tsql") == "7000"


@pytest.mark.parametrize("bad", [0, -1, 86_401, "soon"])
def test_a_bad_lock_timeout_is_refused_naming_the_field(bad: object):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="lock_timeout"):
        MssqlStoreConfig(server="db", database="sales", lock_timeout=bad)


@pytest.mark.parametrize("code", [0, 1], ids=["granted", "granted-after-waiting"])
def test_a_publish_takes_the_lock_first_in_its_own_transaction_then_publishes(tmp_path, code):
    database = RecordingDatabase(MssqlDialect())
    database.lock_code = code
    store = _store(database, tmp_path)
    database.target = store.target
    staging = _staged(store)

    store.publish(staging)

    texts = [text for text, _ in database.sent]
    locks = [i for i, text in enumerate(texts) if "sp_getapplock" in text]
    assert len(locks) == 1  # only the publish takes it; prepare and write do not
    publish = database.transaction_of(locks[0])
    assert "sp_getapplock" in publish[0]  # before it reads the owner record or the run's
    assert any(text.startswith("DELETE FROM [_hygge].[commits]") for text in publish)
    assert not any("dm_tran_locks" in text for text in texts)


@pytest.mark.parametrize(
    ("code", "why"),
    [
        (-1, "waited its timeout out"),
        (-2, "cancelled"),
        (-3, "deadlock victim"),
        (-999, "refused the request"),
        (None, "refused the request"),
    ],
)
def test_a_lock_not_granted_stops_the_publish_naming_the_table_and_its_holder(tmp_path, code, why):
    database = RecordingDatabase(MssqlDialect(lock_timeout=30))
    database.lock_code, database.holder = code, HOLDER  # type: ignore[assignment]
    store = _store(database, tmp_path, "o]; x")
    database.target = store.target
    staging = _staged(store)
    before = len(database.sent)

    with pytest.raises(StateError) as raised:
        store.publish(staging)

    message = str(raised.value)
    assert "[dbo].[o]]; x]" in message or "dbo.o]; x" in message, message
    assert why in message and "30 s" in message
    assert "held by session 57, login loader, host etl-vm-2, program hygge" in message
    assert "lock_timeout" in message  # what to do
    sent = [text for text, _ in database.sent[before:]]
    assert len(sent) == 2 and "sp_getapplock" in sent[0] and "dm_tran_locks" in sent[1]
    holder_sql, holder_args = database.sent[before + 1]
    (tree,) = sqlglot.parse(holder_sql, read="tsql", error_level=sqlglot.ErrorLevel.RAISE)
    assert isinstance(tree, exp.Select) and holder_sql.count("?") == len(holder_args) == 1
    assert holder_args == [f"%[[]{database.dialect.lock_resource(store.target)}]%"]


def test_a_holder_that_cannot_be_read_is_said_so(tmp_path):
    database = RecordingDatabase(MssqlDialect())
    database.lock_code = -1
    store = _store(database, tmp_path)
    staging = _staged(store)
    answer = database.answer

    def refusing(sql: str, params: list[object]) -> list[tuple[object, ...]]:
        if "dm_tran_locks" in sql:
            raise RuntimeError("VIEW SERVER STATE permission was denied")
        return answer(sql, params)

    database.answer = refusing  # type: ignore[method-assign]
    with pytest.raises(StateError, match=r"could not be read .*VIEW SERVER STATE"):
        store.publish(staging)

    database.answer, database.holder = answer, []  # type: ignore[method-assign]
    with pytest.raises(StateError, match="its holder is gone"):
        store.publish(staging)


# -- the same through the store's pyodbc session -----------------------------------------------


class FakeCursor:
    """A pyodbc cursor of a batch's result sets: `results` maps a text in the statement to
    its sets (None: a set without rows, e.g. a row count)."""

    def __init__(self, connection: FakeConnection) -> None:
        self.connection = connection
        self.sets: list[list[tuple[object, ...]] | None] = []

    @property
    def description(self) -> object:
        return None if not self.sets or self.sets[0] is None else [("c",)]

    def execute(self, sql: str, *params: object) -> FakeCursor:
        self.connection.log.append(("execute", sql, list(params)))
        found = next((sets for part, sets in self.connection.results.items() if part in sql), [])
        self.sets = list(found) if not callable(found) else list(found())
        return self

    def nextset(self) -> bool:
        self.sets = self.sets[1:]
        return bool(self.sets)

    def fetchall(self) -> list[tuple[object, ...]]:
        if not self.sets or self.sets[0] is None:
            raise RuntimeError("No results.  Previous SQL was not a query.")  # as pyodbc
        return self.sets[0]

    def close(self) -> None:
        pass


class FakeConnection:
    def __init__(self, log: list[tuple[Any, ...]], results: dict[str, Any]) -> None:
        self.log, self.results = log, results

    def cursor(self) -> FakeCursor:
        return FakeCursor(self)

    def commit(self) -> None:
        self.log.append(("commit",))

    def rollback(self) -> None:
        self.log.append(("rollback",))

    def close(self) -> None:
        self.log.append(("close",))


def _odbc_database(results: dict[str, Any]) -> tuple[MssqlDatabase, list[tuple[Any, ...]]]:
    log: list[tuple[Any, ...]] = []
    connect: Callable[[], Any] = lambda: FakeConnection(log, results)  # noqa: E731
    database = MssqlDatabase(
        connect, "fake mssql", columnstore=True, batch_size=10, workers=1, lock_timeout=5
    )
    return database, log


def test_the_session_reads_the_lock_result_past_the_batchs_row_counts():
    database, log = _odbc_database({"sp_getapplock": [None, None, [(-1,)]]})

    with database.transaction() as session:
        (text,) = database.dialect.lock_target(TableName("dbo", "orders"))
        assert session.rows(text) == [(-1,)]

    assert log[0] == ("execute", text, []) and log[1:] == [("commit",), ("close",)]


def test_a_refused_lock_rolls_the_publish_back_through_pyodbc(tmp_path):
    publish_results: dict[str, Any] = {
        "sp_getapplock": [[(-1,)]],
        "dm_tran_locks": [[("61", "other", "vm", "hygge")]],
    }
    database, log = _odbc_database(publish_results)
    store = _store(database, tmp_path)
    staging = _fake_staging(store)

    with pytest.raises(StateError, match="held by session 61"):
        store.publish(staging)

    statements = [entry for entry in log if entry[0] == "execute"]
    texts = [sql for _, sql, _ in statements]
    publish = len(texts) - 2  # the lock's batch, then the holder query, then nothing else
    assert "sp_getapplock" in texts[publish] and "dm_tran_locks" in texts[publish + 1]
    assert statements[publish + 1][2] == [f"%[[]{database.dialect.lock_resource(store.target)}]%"]
    assert log[-2:] == [("rollback",), ("close",)]  # nothing committed
    assert ("commit",) not in log[log.index(statements[publish]) :]


def _fake_staging(store: SqlStore) -> Any:
    from hygge.stores.base import Staging

    location = store.dialect.staging_table(store.target, "run-1")
    return Staging(run_id="run-1", run_type=RunType.FULL_DROP, location=location.table)
