"""Blob storage (issue 9) on a local Azurite: transfers through hygge's BlobStorage against the
SDK's own upload_blob / download_blob of the same bytes, and a parquet `hygge go` from a landing
container into a lake container against polars' own cloud scan-and-sink. No targets: the
figures show what hygge's layer costs over the raw SDK, on the same emulator, in the same run.

Azurite serves from one Node.js process on this machine, so absolute MB/s say more about the
emulator than about Azure; the ratios are what to read.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import harness as h
from lineitem import write_lineitem
from table import Measured, Row, summarise

ROOT = Path(__file__).resolve().parents[1]
TRANSFER_MIB = 256
BENCH_PORT = 10090  # away from the test workers' 10000-10019, so a bench can run beside tests
SECRET = "HYGGE_BENCH_AZ"


@contextmanager
def azurite() -> Iterator[str | None]:
    """A connection string to a fresh Azurite, or None (with the reason printed) without one."""
    sys.path.insert(0, str(ROOT))
    from tests.support import azurite as emulator

    try:
        process = emulator.AzuriteProcess(emulator.install(), base_port=BENCH_PORT)
        service = process.wait()
    except emulator.AzuriteUnavailableError as exc:
        print(f"blob scenarios skipped: {exc}", file=sys.stderr)
        yield None
        return
    try:
        yield service.connection_string
    finally:
        process.stop()


def _containers(connection: str, *names: str) -> None:
    from azure.storage.blob import BlobServiceClient

    service = BlobServiceClient.from_connection_string(connection)
    for name in names:
        service.create_container(name)


def _upload_folder(connection: str, container: str, folder: Path, prefix: str) -> None:
    from azure.storage.blob import ContainerClient

    client = ContainerClient.from_connection_string(connection, container)
    for file in sorted(folder.iterdir()):
        with file.open("rb") as data:
            client.upload_blob(f"{prefix}/{file.name}", data, overwrite=True)


def _op(env: dict[str, str], side: str, op: str, key: str, file: Path) -> h.Run:
    command = h.python(str(h.HERE / "blob_op.py"))

    def run() -> Measured:
        return h.measure_script(command, [side, op, "bench", key, str(file)], env)

    return run


def transfers(tmp: Path, connection: str, repeat: int) -> list[Row]:
    """Upload and download of TRANSFER_MIB MiB of random bytes: hygge's layer vs the raw SDK."""
    env = {SECRET: connection}
    _containers(connection, "bench")
    source = tmp / "blob-transfer.bin"
    with source.open("wb") as out:
        for _ in range(TRANSFER_MIB):
            out.write(os.urandom(1024 * 1024))
    size_mb = source.stat().st_size / 1e6
    rows = []
    for op, label in (("put", "upload"), ("get", "download")):
        target = source if op == "put" else tmp / "blob-transfer.out"
        ours, raw = [], []
        for _ in range(repeat):
            ours.append(_op(env, "hygge", op, "hygge.bin", target)())
            raw.append(_op(env, "raw", op, "raw.bin", target)())
        mine, theirs = summarise(ours), summarise(raw)
        note = (
            f"{size_mb / mine.seconds:.0f} MB/s vs raw {size_mb / theirs.seconds:.0f} MB/s "
            f"(SDK {'upload_blob' if op == 'put' else 'download_blob'}); "
            f"{theirs.seconds / mine.seconds:.2f}x its throughput"
        )
        rows.append(Row(f"blob {label} {TRANSFER_MIB} MiB", 0, mine, theirs, (), note))
    return rows


BLOB_PROJECT = """\
name: bench
connections:
  az:
    type: azure_blob
    container: lake
    credential: connection_string
    connection_string: ${HYGGE_BENCH_AZ}
  landing:
    type: azure_blob
    container: landing
    credential: connection_string
    connection_string: ${HYGGE_BENCH_AZ}
"""
BLOB_FLOW = """\
home: {type: parquet, path: data, connection: landing}
store: {type: parquet, path: lake, compression: zstd, connection: az}
run_type: full_drop
entities: [lineitem]
"""


def lake_copy(tmp: Path, connection: str, rows: int, repeat: int) -> list[Row]:
    """`hygge go` landing → lake on blob vs `scan_parquet("az://…").sink_parquet("az://…")`."""
    env = {SECRET: connection}
    _containers(connection, "landing", "lake")
    data = tmp / f"blob-data-{rows}" / "lineitem"
    write_lineitem(data, rows)
    _upload_folder(connection, "landing", data, "data/lineitem")
    ws = h.workspace(tmp / f"blob-p2p-{rows}", {"p2p": BLOB_FLOW})
    (ws / "hygge.yml").write_text(BLOB_PROJECT)
    run = h.process(ws, *h.hygge("go"), env=env)
    raw_copy = h.python(str(h.HERE / "raw.py"), "blob", "data/lineitem", "raw")
    baseline = h.process(ws, *raw_copy, env=env)
    mine, theirs = h.paired(run, baseline, repeat)
    ratio = theirs.seconds / mine.seconds
    note = f"{ratio:.2f}x the throughput of polars' own az:// scan and sink (no target)"
    return [Row("blob p2p: landing → lake (Azurite)", rows, mine, theirs, (), note)]


def blob(tmp: Path, rows: int, repeat: int) -> list[Row]:
    """Every blob scenario on one Azurite; none when Azurite cannot be installed or started."""
    with azurite() as connection:
        if connection is None:
            return []
        return transfers(tmp, connection, repeat) + lake_copy(tmp, connection, rows, repeat)
