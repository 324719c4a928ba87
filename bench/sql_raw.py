"""Raw PostgreSQL → parquet reads, each a whole process (what a user would write by hand).

Usage: sql_raw.py KIND TABLE DST
  adbc        ADBC `SELECT *` record batches → pyarrow ParquetWriter
  copy        psycopg binary `COPY (SELECT *) TO STDOUT`, typed rows → polars frames → parquet
  connectorx  ConnectorX `read_sql(..., return_type="arrow")` (only when it is installed)
  pyodbc      pyodbc `fetchmany` over unixODBC + psqlODBC → polars frames → parquet
  arrow-odbc  arrow-odbc record batches over the same driver manager and driver → parquet
  arrow-odbc-64  the same with hygge's cap on arrow-odbc's buffers (64 MiB per batch; raw's
              own default, 512 MiB, holds ~8x the rows of wide text columns and ~3x the memory)
  hygge-odbc  hygge's mssql-home ODBC session (pyodbc, or arrow-odbc with HYGGE_ODBC_READER),
              each frame written as hygge's parquet store writes a file
Usage: sql_raw.py ingest TABLE SRC
  ingest      the parquet files of SRC, one by one, by ADBC `adbc_ingest` into a new TABLE
              (dropped first), in one transaction: the raw parquet → PostgreSQL load
The server is BENCH_PG_URI (libpq URI with the password) and BENCH_PG_ODBC (an ODBC string).
Parquet is written with zstd at level 3, as the bench's hygge stores write it (polars'
default level; pyarrow's own default, 1, spends ~0.1 s less CPU per 1M rows on a file ~15 %
larger: the paired read compares the same work).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

BATCH = 100_000
LEVEL = 3  # zstd level: polars' default, so hygge's parquet store's


def _writer(dst: Path):  # type: ignore[no-untyped-def]
    import pyarrow.parquet as pq

    dst.mkdir(parents=True, exist_ok=True)
    state: dict[str, pq.ParquetWriter] = {}

    def write(table) -> None:  # type: ignore[no-untyped-def]
        if "w" not in state:
            state["w"] = pq.ParquetWriter(
                dst / "out.parquet", table.schema, compression="zstd", compression_level=LEVEL
            )
        state["w"].write_table(table)

    def close() -> None:
        if "w" in state:
            state["w"].close()

    return write, close


def adbc(table: str, dst: Path) -> None:
    import pyarrow as pa
    from adbc_driver_postgresql import dbapi

    write, close = _writer(dst)
    with dbapi.connect(os.environ["BENCH_PG_URI"]) as connection, connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")
        for batch in cursor.fetch_record_batch():
            write(pa.Table.from_batches([batch]))
    close()


def copy(table: str, dst: Path) -> None:
    import polars as pl
    import psycopg

    write, close = _writer(dst)
    with psycopg.connect(os.environ["BENCH_PG_URI"]) as connection, connection.cursor() as cur:
        cur.execute(f"SELECT * FROM {table} LIMIT 0")
        names = [column.name for column in cur.description or []]
        types = [column.type_code for column in cur.description or []]
        rows: list[tuple[object, ...]] = []
        with cur.copy(f"COPY (SELECT * FROM {table}) TO STDOUT (FORMAT BINARY)") as stream:
            stream.set_types(types)
            for row in stream.rows():
                rows.append(row)
                if len(rows) == BATCH:
                    write(pl.DataFrame(rows, schema=names, orient="row").to_arrow())
                    rows = []
        if rows:
            write(pl.DataFrame(rows, schema=names, orient="row").to_arrow())
    close()


def connectorx(table: str, dst: Path) -> None:
    import connectorx as cx  # not a dependency: the bench runs this only when installed
    import pyarrow.parquet as pq

    dst.mkdir(parents=True, exist_ok=True)
    arrow = cx.read_sql(os.environ["BENCH_PG_URI"], f"SELECT * FROM {table}", return_type="arrow")
    pq.write_table(arrow, dst / "out.parquet", compression="zstd", compression_level=LEVEL)


def pyodbc_read(table: str, dst: Path) -> None:
    import polars as pl
    import pyodbc

    write, close = _writer(dst)
    with pyodbc.connect(os.environ["BENCH_PG_ODBC"], readonly=True) as connection:
        cursor = connection.cursor()
        cursor.execute(f"SELECT * FROM {table}")
        names = [column[0] for column in cursor.description]
        while rows := cursor.fetchmany(BATCH):
            write(pl.DataFrame([tuple(r) for r in rows], schema=names, orient="row").to_arrow())
    close()


def arrow_odbc_read(table: str, dst: Path, max_bytes: int | None = None) -> None:
    import arrow_odbc
    import pyarrow as pa

    write, close = _writer(dst)
    cap = {"max_bytes_per_batch": max_bytes} if max_bytes else {}
    reader = arrow_odbc.read_arrow_batches_from_odbc(
        f"SELECT * FROM {table}", os.environ["BENCH_PG_ODBC"], batch_size=BATCH, **cap
    )
    for batch in reader:
        write(pa.Table.from_batches([batch]))
    close()


def arrow_odbc_bounded(table: str, dst: Path) -> None:
    from hygge.homes.sql.odbc import ARROW_BATCH_BYTES

    arrow_odbc_read(table, dst, ARROW_BATCH_BYTES)


def hygge_odbc(table: str, dst: Path) -> None:
    """Each frame written as hygge's parquet store writes a file of `batch_size` rows (polars,
    temporary name, fsync, rename): not `frame.to_arrow()` into a pyarrow writer, which cost
    ~1 s of CPU per 1M rows converting polars' string views back to Arrow strings, a step no
    hygge run takes."""
    from hygge.homes.sql.dialect import POSTGRES_QMARK
    from hygge.homes.sql.odbc import OdbcDriver
    from hygge.io.writers import write_frame

    dst.mkdir(parents=True, exist_ok=True)
    reader = os.environ.get("HYGGE_ODBC_READER", "pyodbc")
    driver = OdbcDriver(os.environ["BENCH_PG_ODBC"], "bench", POSTGRES_QMARK, reader=reader)
    session = driver.connect()
    try:
        for index, frame in enumerate(session.stream(f"SELECT * FROM {table}", [], BATCH)):
            target = dst / f"part-{index:05}.parquet"
            write_frame(frame, target, "parquet", {"compression_level": LEVEL}, compression="zstd")
    finally:
        session.close()


def ingest(table: str, src: Path) -> None:
    import pyarrow.parquet as pq
    from adbc_driver_postgresql import dbapi

    with dbapi.connect(os.environ["BENCH_PG_URI"]) as connection, connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS public.{table}")
        for path in sorted(src.glob("*.parquet")):
            cursor.adbc_ingest(table, pq.read_table(path), mode="create_append")
        connection.commit()


KINDS = {
    "ingest": ingest,
    "adbc": adbc,
    "copy": copy,
    "connectorx": connectorx,
    "pyodbc": pyodbc_read,
    "arrow-odbc": arrow_odbc_read,
    "arrow-odbc-64": arrow_odbc_bounded,
    "hygge-odbc": hygge_odbc,
}


def main() -> None:
    kind, table, dst = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    if kind not in KINDS:
        raise SystemExit(f"unknown baseline {kind}: {', '.join(KINDS)}")
    KINDS[kind](table, dst)


if __name__ == "__main__":
    main()
