"""Every T-SQL statement the mssql store sends parses as T-SQL (sqlglot): its whole run
(prepare, write, sync, discard, publish of each run type on a new and an existing table,
abort) on a database that records what it is sent, with ordinary and hostile names."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest
import sqlglot
from sqlglot import exp

from hygge.errors import StoreOwnershipError
from hygge.stores.ownership import StoreOwner
from hygge.stores.sql.config import MssqlStoreConfig
from hygge.stores.sql.mssql_dialect import MssqlDialect, nvarchar_size
from hygge.stores.sql.names import TableName
from hygge.stores.sql.store import SqlStore
from hygge.types import Place, RunType
from tests.support.data import orders
from tests.support.recording_sql import RecordingDatabase

_TRANSFER = re.compile(r"ALTER SCHEMA (\[(?:[^\]]|\]\])+\]) TRANSFER (\[.+\]\.\[.+\])")
PARSED = (
    exp.Set,  # SET NOCOUNT ON, DECLARE: the publish lock's batch
    exp.Declare,
    exp.Execute,
    exp.Select,
    exp.Insert,
    exp.Delete,
    exp.Merge,
    exp.Create,
    exp.Drop,
    exp.Alter,
)
NAMES = [
    pytest.param("orders", id="plain"),
    pytest.param("o]; DROP TABLE canary; --", id="bracket"),
    pytest.param("o'); DROP TABLE canary; --", id="single-quote"),
    pytest.param('o"x', id="double-quote"),
    pytest.param("ørders · 注文", id="unicode"),
]


def store_on(database: RecordingDatabase, tmp_path: Path, entity: str, **fields) -> SqlStore:
    config = MssqlStoreConfig(server="db", database="sales", key_columns=["id"], **fields)
    return SqlStore(config, database, Place(tmp_path, "sales", entity, "shop"))  # type: ignore[arg-type]


def assert_t_sql(sent: list[tuple[str, list[object]]]) -> None:
    assert sent
    for text, values in sent:
        transfer = _TRANSFER.fullmatch(text)
        if transfer:  # sqlglot reads no ALTER SCHEMA: its two names must parse as names
            for name in transfer.groups():
                sqlglot.parse_one(name, into=exp.Table, read="tsql")
            continue
        trees = sqlglot.parse(text, read="tsql", error_level=sqlglot.ErrorLevel.RAISE)
        for tree in trees:
            assert tree is not None
            assert not list(tree.find_all(exp.Command)), text  # nothing parsed as opaque text
            assert isinstance(tree, (*PARSED, exp.IfBlock)), (type(tree), text)
        assert text.count("?") == len(values), text  # every value bound, none written in


def a_run(store: SqlStore, database: RecordingDatabase, run_type: RunType, column: str) -> None:
    frame = orders(3).rename({"customer": column})
    staging = store.prepare("run-1", run_type)
    staging = store.write(staging, frame)
    location = database.dialect.staging_table(store.target, "run-1")
    incoming = {n: database.dialect.column_type(store.target, frame[n]) for n in frame.columns}
    database.tables[location] = incoming | database.dialect.staging_columns()
    staging = store.write(staging, frame)
    store.sync(staging)
    store.discard_unlisted(staging)
    store.publish(staging)
    store.abort(staging)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("run_type", list(RunType), ids=lambda r: r.value)
@pytest.mark.parametrize("existing", [False, True], ids=["new-table", "owned-table"])
def test_every_statement_of_a_run_parses_as_t_sql(tmp_path, name, run_type, existing):
    database = RecordingDatabase(MssqlDialect())
    store = store_on(database, tmp_path, name)
    if existing:  # owned by this entity, with a narrower column the data widens
        database.tables[store.target] = {"id": "INT", name: "NVARCHAR(8)"}
        database.own(store.target, StoreOwner.of(store.place, "mssql"))

    a_run(store, database, run_type, name)

    assert_t_sql(database.sent)
    assert database.loaded  # the batches went to the bulk loader


@pytest.mark.parametrize("owned", [False, True], ids=["new-table", "owned-table"])
def test_full_drop_swaps_the_staged_heap_in_one_transaction_and_marks_it(tmp_path, owned):
    database = RecordingDatabase(MssqlDialect())
    store = store_on(database, tmp_path, "orders")
    database.target = store.target
    if owned:
        database.tables[store.target] = {"id": "BIGINT"}
        database.own(store.target, StoreOwner.of(store.place, "mssql"))
    a_run(store, database, RunType.FULL_DROP, "customer")

    texts = [text for text, _ in database.sent]
    drop = texts.index("DROP TABLE IF EXISTS [dbo].[orders]")
    publish = database.transaction_of(drop)
    steps = [
        "DROP TABLE IF EXISTS [dbo].[orders]",
        "ALTER TABLE [_hygge].[stage_",
        "ALTER SCHEMA [dbo] TRANSFER [_hygge].[stage_",
        "EXEC sp_rename N'[dbo].[stage_",
        "CREATE CLUSTERED COLUMNSTORE INDEX",
        "IF EXISTS (SELECT 1 FROM sys.extended_properties",
        "DELETE FROM [_hygge].[commits]",
    ]
    found = [next(i for i, t in enumerate(publish) if t.startswith(step)) for step in steps]
    assert found == sorted(found)  # in this order, all in the publish's one transaction
    assert "DROP COLUMN [_hygge_seq], [_hygge_row]" in publish[found[1]]
    assert "N'orders', N'OBJECT'" in publish[found[3]]
    assert "sys.sp_addextendedproperty N'hygge', N'hygge:" in publish[found[5]]
    assert not any(t.startswith(("CREATE TABLE [dbo]", "INSERT INTO [dbo]")) for t in texts)


def test_incremental_into_a_new_table_creates_it_clustered_columnstore_and_merge_is_one_merge(
    tmp_path,
):
    database = RecordingDatabase(MssqlDialect())
    a_run(store_on(database, tmp_path, "orders"), database, RunType.INCREMENTAL, "customer")
    creates = [text for text, _ in database.sent if text.startswith("CREATE TABLE [dbo]")]
    assert creates and "CREATE CLUSTERED COLUMNSTORE INDEX" in creates[0]
    assert "[updated_at] DATETIME2(6) NULL" in creates[0]
    database = RecordingDatabase(MssqlDialect())
    store = store_on(database, tmp_path, "orders")
    database.tables[store.target] = {"id": "BIGINT"}
    database.own(store.target, StoreOwner.of(store.place, "mssql"))
    a_run(store, database, RunType.MERGE, "customer")
    merges = [text for text, _ in database.sent if text.startswith("MERGE")]
    assert len(merges) == 1 and "WITH (HOLDLOCK)" in merges[0]
    assert "WHEN NOT MATCHED BY TARGET THEN INSERT" in merges[0]


@pytest.mark.parametrize("run_type", [RunType.FULL_DROP, RunType.INCREMENTAL], ids=str)
def test_columnstore_false_creates_a_heap(tmp_path, run_type):
    database = RecordingDatabase(MssqlDialect(columnstore=False))
    a_run(store_on(database, tmp_path, "orders"), database, run_type, "customer")
    assert not any("COLUMNSTORE" in text for text, _ in database.sent)


def test_an_owned_name_holding_a_table_without_the_mark_is_refused_naming_it(tmp_path):
    database = RecordingDatabase(MssqlDialect())
    store = store_on(database, tmp_path, "orders")
    database.tables[store.target] = {"id": "BIGINT"}  # dropped and recreated by someone
    database.own(store.target, StoreOwner.of(store.place, "mssql"), mark=False)

    problem = store.ownership_problem()

    assert problem is not None and "lacks hygge's mark" in problem
    assert "extended property hygge" in problem and "dbo.orders" in problem
    with pytest.raises(StoreOwnershipError, match="lacks hygge's mark"):
        store.prepare("run-1", RunType.FULL_DROP)
    assert not any(t.startswith("DROP TABLE IF EXISTS [dbo]") for t, _ in database.sent)
    replacing = store_on(database, tmp_path, "orders", if_exists="replace")
    assert replacing.ownership_problem() is None  # the user said: drop it, create it anew


@pytest.mark.parametrize(
    ("series", "expected"),
    [
        pytest.param(pl.Series("s", ["a" * 10]), "NVARCHAR(16)", id="short-floor"),
        pytest.param(pl.Series("s", ["a" * 100, None]), "NVARCHAR(125)", id="margin"),
        pytest.param(pl.Series("s", ["a" * 3201]), "NVARCHAR(MAX)", id="past-4000"),
        pytest.param(pl.Series("s", [None], pl.String), "NVARCHAR(16)", id="all-null"),
        pytest.param(pl.Series("d", [], pl.Decimal(18, 4)), "DECIMAL(18,4)", id="decimal"),
        pytest.param(pl.Series("t", [], pl.Datetime("ns")), "DATETIME2(7)", id="datetime-ns"),
        pytest.param(pl.Series("t", [], pl.Datetime("us", "UTC")), "DATETIME2(6)", id="tz"),
        pytest.param(pl.Series("i", [], pl.Int8), "SMALLINT", id="int8-signed"),
        pytest.param(pl.Series("u", [], pl.UInt64), "DECIMAL(20,0)", id="uint64"),
        pytest.param(pl.Series("b", [], pl.Boolean), "BIT", id="bit"),
    ],
)
def test_the_type_map_sizes_nvarchar_from_the_data_and_keeps_decimals(series, expected):
    assert MssqlDialect().column_type(TableName("dbo", "t"), series) == expected


@pytest.mark.parametrize(
    ("old", "new", "widens"),
    [
        ("INT", "BIGINT", True),
        ("BIGINT", "INT", False),
        ("NVARCHAR(16)", "NVARCHAR(40)", True),
        ("NVARCHAR(40)", "NVARCHAR(MAX)", True),
        ("NVARCHAR(MAX)", "NVARCHAR(40)", False),
        ("DECIMAL(10,2)", "DECIMAL(12,2)", True),
        ("DECIMAL(10,2)", "DECIMAL(10,3)", False),
        ("INT", "DECIMAL(12,0)", True),
        ("FLOAT", "INT", False),
    ],
)
def test_safe_widenings_only(old, new, widens):
    assert MssqlDialect().widens(old, new) is widens


def test_nvarchar_sizes_read_from_the_catalog():
    assert nvarchar_size("NVARCHAR(40)") == 40
    assert nvarchar_size("NVARCHAR(MAX)") == 4001
    assert nvarchar_size("INT") is None


def test_the_original_fields_load_unchanged():
    config = MssqlStoreConfig.model_validate(
        {
            "type": "mssql", "server": "db.example.net", "database": "sales",
            "table": "dbo.Users", "batch_size": 102400, "parallel_workers": 8,
            "table_hints": "TABLOCK", "write_strategy": "temp_swap", "if_exists": "append",
            "encrypt": "Yes", "trust_cert": "No", "timeout": 30, "options": {},
        }
    )  # fmt: skip
    assert config.rows_per_batch() == 102_400 and config.parallel_workers == 8
    assert MssqlStoreConfig(server="a", database="b").rows_per_batch() == 102_400


def test_connection_or_server_and_database_one_or_the_other():
    with pytest.raises(ValueError, match="not both"):
        MssqlStoreConfig(connection="x", server="a", database="b")
    with pytest.raises(ValueError, match="needs `connection`"):
        MssqlStoreConfig(server="a")
