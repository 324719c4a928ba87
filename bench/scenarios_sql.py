"""PostgreSQL → parquet (BENCHMARKS.md scenario 2): `hygge go` next to raw ADBC, psycopg
binary COPY and (when installed) ConnectorX reads of the same table in the same run; parquet
→ PostgreSQL (scenario 3, `scenarios_sql_write`) next to a raw `adbc_ingest`; and the
mssql home's ODBC paths, pyodbc `fetchmany` vs arrow-odbc, over one driver manager (unixODBC +
psqlODBC). A PostgreSQL server is started for the run (tests/support/postgres.py) and the
lineitem table loaded into it once by ADBC ingest.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import harness as h
from lineitem import lineitem
from scenarios_sql_write import postgres_writes
from table import Check, Measured, Row, peak_check, throughput_ratio

REPO = Path(__file__).resolve().parents[1]
TABLE = "public.lineitem"
PASSWORD_VARIABLE = "HYGGE_BENCH_PG_PASSWORD"


def _load(uri: str, rows: int) -> None:
    from adbc_driver_postgresql import dbapi

    with dbapi.connect(uri) as connection, connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS public.lineitem")
        for start in range(0, rows, 1_000_000):
            part = lineitem(start, min(1_000_000, rows - start)).to_arrow()
            cursor.adbc_ingest("lineitem", part, mode="create_append")
        connection.commit()
        cursor.execute("ALTER TABLE public.lineitem ADD COLUMN id bigserial PRIMARY KEY")
        cursor.execute("ANALYZE public.lineitem")
        connection.commit()


def _workspace(root: Path, url: str, home: str) -> Path:
    ws = h.workspace(root, {})
    (ws / "hygge.yml").write_text(
        f"name: bench\nconnections:\n  pg: {{type: postgres, url: '{url}', "
        f'password: "${{{PASSWORD_VARIABLE}}}"}}\n'
    )
    flow = (
        f"home: {{type: postgres, connection: pg, table: public.lineitem, {home}}}\n"
        "store: {type: parquet, path: lake, compression: zstd}\nentities: [lineitem]\n"
    )
    (ws / "flows" / "pg").mkdir(parents=True, exist_ok=True)
    (ws / "flows" / "pg" / "flow.yml").write_text(flow)
    return ws


def _raw(kind: str, dst: Path, env: dict[str, str]) -> h.Run:
    script = h.python(str(Path(__file__).with_name("sql_raw.py")), kind, TABLE, str(dst))
    return h.process(dst.parent, *script, env=env)


def postgres_reads(tmp: Path, rows: int, repeat: int) -> list[Row]:
    """The scenario's rows; [] (with a note) when PostgreSQL cannot be started here."""
    sys.path.insert(0, str(REPO))
    from tests.support import postgres as support

    try:
        process = support.PostgresProcess(support.install(), base_port=_port())
        server = process.start()
    except support.PostgresUnavailableError as error:
        print(f"skipped the PostgreSQL scenarios: {error}", file=sys.stderr)
        return []
    try:
        return _measure(tmp, server, rows, repeat)
    finally:
        process.stop()


def _port() -> int:
    return int(os.environ.get("BENCH_PG_PORT", "25431"))


def _measure(tmp: Path, server, rows: int, repeat: int) -> list[Row]:  # type: ignore[no-untyped-def]
    uri = server.url.replace(f"{server.user}@", f"{server.user}:{server.password}@")
    _load(uri, rows)
    # psqlODBC holds a whole result in memory unless it fetches by a cursor (UseDeclareFetch):
    # both ODBC readers run with it, as SQL Server's driver streams by itself.
    odbc = server.odbc + "UseDeclareFetch=1;Fetch=10000;"
    env = {"BENCH_PG_URI": uri, "BENCH_PG_ODBC": odbc, PASSWORD_VARIABLE: server.password}
    results: list[Row] = []
    work = tmp / f"pg-{rows}"
    work.mkdir(parents=True, exist_ok=True)
    raws: dict[str, Measured] = {}
    kinds = ["adbc", "copy"] + (["connectorx"] if importlib.util.find_spec("connectorx") else [])
    ws = _workspace(work / "hygge", server.url, "batch_size: 100000")
    go = h.process(ws, *h.hygge("go"), env=env)
    for kind in kinds:
        hygge, raws[kind] = h.paired(go, _raw(kind, work / f"raw-{kind}", env), repeat)
    fastest = min(raws.values(), key=lambda m: m.seconds)
    for kind, measured in raws.items():
        results.append(Row(f"postgres → parquet vs raw {kind}", rows, hygge, measured, ()))
    results.append(Row(
        f"postgres → parquet vs fastest raw ({', '.join(kinds)})", rows, hygge, fastest,
        (Check("throughput", throughput_ratio(hygge, fastest), "≥", 0.9),
         peak_check(hygge, None)),
    ))  # fmt: skip
    parted = h.process(
        _workspace(work / "parted", server.url, "batch_size: 100000, partitions: 2"),
        *h.hygge("go"),
        env=env,
    )
    two, base = h.paired(parted, _raw("adbc", work / "raw-adbc2", env), repeat)
    results.append(
        Row("postgres → parquet, partitions: 2, vs raw adbc", rows, two, base,
            (Check("throughput", throughput_ratio(two, base), "≥", 0.9),))
    )  # fmt: skip
    results += _odbc(work, env, rows, repeat)
    results += postgres_writes(
        work, server.url, env, rows, repeat, password_variable=PASSWORD_VARIABLE
    )
    return results


def _odbc(work: Path, env: dict[str, str], rows: int, repeat: int) -> list[Row]:
    """pyodbc fetchmany vs arrow-odbc, raw and through hygge's mssql-home ODBC session."""
    if importlib.util.find_spec("arrow_odbc") is None:
        print("skipped pyodbc vs arrow-odbc: arrow-odbc is not installed", file=sys.stderr)
        return []
    pyodbc_raw, arrow_raw = h.paired(
        _raw("pyodbc", work / "raw-pyodbc", env), _raw("arrow-odbc", work / "raw-arrow", env),
        repeat,
    )  # fmt: skip
    columnar = {**env, "HYGGE_ODBC_READER": "arrow-odbc"}
    rowwise = {**env, "HYGGE_ODBC_READER": "pyodbc"}
    hygge_rows, hygge_arrow = h.paired(
        _raw("hygge-odbc", work / "hygge-pyodbc", rowwise),
        _raw("hygge-odbc", work / "hygge-arrow", columnar),
        repeat,
    )
    # raw arrow-odbc at hygge's buffer cap: the same batches (and memory) as hygge's read
    hygge_again, bounded_raw = h.paired(
        _raw("hygge-odbc", work / "hygge-arrow", columnar),
        _raw("arrow-odbc-64", work / "raw-arrow-64", env),
        repeat,
    )
    return [
        Row("odbc read: raw arrow-odbc vs raw pyodbc fetchmany", rows, arrow_raw, pyodbc_raw,
            (Check("speed-up", throughput_ratio(arrow_raw, pyodbc_raw), "≥", 1.0),)),
        Row("odbc read: hygge arrow-odbc vs hygge pyodbc", rows, hygge_arrow, hygge_rows,
            (Check("speed-up", throughput_ratio(hygge_arrow, hygge_rows), "≥", 1.0),)),
        Row("odbc read: hygge arrow-odbc vs raw arrow-odbc", rows, hygge_arrow, arrow_raw,
            (Check("throughput", throughput_ratio(hygge_arrow, arrow_raw), "≥", 0.9),)),
        Row("odbc read: hygge arrow-odbc vs raw arrow-odbc at 64 MiB batches", rows, hygge_again,
            bounded_raw,
            (Check("throughput", throughput_ratio(hygge_again, bounded_raw), "≥", 0.9),)),
    ]  # fmt: skip
