"""`make demo-azure`: the README's Azurite walk-through, end to end, against a private Azurite.

1. starts Azurite on 127.0.0.1 (DEMO_AZURITE_PORT, default 10300) in a temporary folder;
2. writes a workspace in `.demo-azure/shop` and `hygge publish`es it to az://config/shop;
3. uploads landing files to the `landing` container;
4. `hygge go -w az://config/shop` is killed with a real SIGKILL inside the store's publish
   (HYGGE_FAULT=during_publish:kill); the next `hygge go -w …` resumes it;
5. compares landing and lake (container `lake`) by row count and an order-insensitive
   content hash;
6. starts two runs of one entity at once: the first holds the entity's blob lease (stopped
   with HYGGE_FAULT=after_begin:stop), the second is refused; then the first finishes;
7. shows the journal with `hygge journal` and reads its parquet files with polars (and DuckDB
   over the polars frame);
8. stops Azurite and removes its folder.

Any failed check makes the exit code 1.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from tests.support.azurite import ACCOUNT, KEY, AzuriteProcess, install  # noqa: E402

HYGGE = str(Path(sys.executable).with_name("hygge"))
FOLDER = REPO / ".demo-azure"
MARKER = ".made-by-azure-demo"
WORKSPACE = "az://config/shop"
ROWS_PER_FILE = 50_000
PROJECT = """\
name: shop
connections:
  landing:
    type: azure_blob
    container: landing
    credential: connection_string
    connection_string: ${HYGGE_STORAGE_CONNECTION}
  lake:
    type: azure_blob
    container: lake
    credential: connection_string
    connection_string: ${HYGGE_STORAGE_CONNECTION}
# No `state:`: a workspace in blob storage keeps its state beside it, az://config/shop/.hygge
"""
FLOW = """\
home: {type: parquet, path: sales, connection: landing}
store: {type: adls, path: sales, connection: lake, batch_size: 10000}
run_type: incremental
watermark: {column: id}
entities: [orders]
"""
failures: list[str] = []


def check(ok: bool, what: str) -> None:
    print(f"  {'ok  ' if ok else 'FAIL'} {what}")
    if not ok:
        failures.append(what)


def hygge(
    *args: str, env: dict[str, str], fault: str | None = None
) -> subprocess.CompletedProcess[str]:
    full = {**env, **({"HYGGE_FAULT": fault} if fault else {})}
    print(f"$ hygge {' '.join(args)}" + (f"   (HYGGE_FAULT={fault})" if fault else ""))
    done = subprocess.run([HYGGE, *args], env=full, capture_output=True, text=True, check=False)
    for line in (done.stdout + done.stderr).strip().splitlines():
        print(f"    {line}")
    return done


def orders(start: int, files: int) -> list[tuple[str, bytes]]:
    out = []
    for number in range(files):
        first = start + number * ROWS_PER_FILE
        frame = pl.DataFrame({"id": range(first, first + ROWS_PER_FILE)}).with_columns(
            amount=(pl.col("id") * 7 % 1000).cast(pl.Float64) / 10,
            customer=pl.format("c{}", pl.col("id") % 997),
        )
        buffer = io.BytesIO()
        frame.write_parquet(buffer)
        out.append((f"sales/orders/part-{first:08d}.parquet", buffer.getvalue()))
    return out


def read_container(service, container: str, prefix: str) -> pl.DataFrame:
    client = service.get_container_client(container)
    frames = [
        pl.read_parquet(io.BytesIO(client.download_blob(blob.name).readall()))
        for blob in client.list_blobs(name_starts_with=prefix)
        if blob.name.endswith(".parquet") and "/_" not in blob.name
    ]
    return pl.concat(frames) if frames else pl.DataFrame()


def content_hash(frame: pl.DataFrame) -> str:
    if frame.is_empty():
        return "-"
    rows = frame.select(sorted(frame.columns)).sort("id").hash_rows(seed=42)
    return hashlib.sha256(",".join(map(str, rows.to_list())).encode()).hexdigest()[:16]


def compare(service, what: str) -> None:
    landing = read_container(service, "landing", "sales/orders/")
    lake = read_container(service, "lake", "sales/orders/")
    print(f"  landing: {landing.height:,} rows, hash {content_hash(landing)}")
    print(f"  lake:    {lake.height:,} rows, hash {content_hash(lake)}")
    check(landing.height == lake.height, f"{what}: as many rows in the lake as landed")
    check(content_hash(landing) == content_hash(lake), f"{what}: the same content")


def two_runs(service, env: dict[str, str]) -> None:
    print("\n== Two runs of one entity at once: the second is refused by the blob lease")
    for name, data in orders(4 * ROWS_PER_FILE, 1):
        service.get_blob_client("landing", name).upload_blob(data)
    args = [HYGGE, "go", "-w", WORKSPACE]
    stopped = {**env, "HYGGE_FAULT": "after_begin:stop"}
    first = subprocess.Popen(
        args, env=stopped, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        _, status = os.waitpid(first.pid, os.WUNTRACED)
        check(os.WIFSTOPPED(status), f"the first run (pid {first.pid}) holds the lease, stopped")
        second = hygge("go", "-w", WORKSPACE, env=env)
        said = second.stdout + second.stderr
        check(second.returncode != 0 and "lock" in said.lower(), "the second run is refused")
        os.kill(first.pid, signal.SIGCONT)
        out, _ = first.communicate(timeout=300)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    print(f"$ (first run continued) exit {first.returncode}: {out.strip().splitlines()[-1:]}")
    check(first.returncode == 0, "the first run finishes")
    compare(service, "after the two runs")


def journal(env: dict[str, str], port: int) -> None:
    print("\n== The journal")
    hygge("journal", "-w", WORKSPACE, "-n", "5", env=env)
    options = {
        "account_name": ACCOUNT,
        "account_key": KEY,
        "azure_storage_endpoint": f"http://127.0.0.1:{port}/{ACCOUNT}",
        "allow_http": "true",
    }
    rows = pl.read_parquet("az://config/shop/.hygge/journal/**/*.parquet", storage_options=options)
    print("  polars: pl.read_parquet('az://config/shop/.hygge/journal/**/*.parquet', ...)")
    print(rows.select("entity", "status", "row_count", "start_time").sort("start_time"))
    check(rows.height > 0, "the journal reads with polars")
    try:
        import duckdb
    except ImportError:
        print("  (duckdb not installed: pip install duckdb to query the frame with SQL)")
        return
    summary = duckdb.sql(
        "select status, count(*) as runs, sum(row_count) as rows from rows group by 1 order by 1"
    )
    print("  DuckDB over the polars frame:")
    print(summary)


def main() -> int:
    if FOLDER.is_symlink():
        print(f"{FOLDER} is a link to {FOLDER.resolve()}; the demo makes its own folder there")
        return 1
    if FOLDER.exists():
        if not (FOLDER / MARKER).exists():
            print(f"{FOLDER} exists and was not made by this demo; remove it or move it away")
            return 1
        shutil.rmtree(FOLDER)
    port = int(os.environ.get("DEMO_AZURITE_PORT", "10300"))
    process = AzuriteProcess(install(), base_port=port)
    try:
        running = process.wait()
        print(f"Azurite on {running.account_url} (stopped when the demo ends)")
        return walk_through(running.connection_string, running.port)
    finally:
        process.stop()


def walk_through(connection_string: str, port: int) -> int:
    from azure.storage.blob import BlobServiceClient

    env = {**os.environ, "HYGGE_STORAGE_CONNECTION": connection_string, "COLUMNS": "140"}
    env.pop("HYGGE_FAULT", None)
    service = BlobServiceClient.from_connection_string(connection_string)
    for container in ("config", "landing", "lake"):
        service.create_container(container)
    root = FOLDER / "shop"
    (root / "flows" / "sales").mkdir(parents=True)
    (FOLDER / MARKER).touch()
    (root / "hygge.yml").write_text(PROJECT)
    (root / "flows" / "sales" / "flow.yml").write_text(FLOW)

    print("\n== Publish the workspace")
    done = hygge("publish", str(root), WORKSPACE, env=env)
    check(done.returncode == 0, "hygge publish")
    print("\n== Land four files, then a run killed (kill -9) inside the store's publish")
    for name, data in orders(0, 4):
        service.get_blob_client("landing", name).upload_blob(data)
    killed = hygge("go", "-w", WORKSPACE, env=env, fault="during_publish:kill")
    check(killed.returncode == -signal.SIGKILL, "the run died of SIGKILL mid-publish")
    left = [b.name for b in service.get_container_client("lake").list_blobs()]
    print(f"  right after the kill the lake container holds {len(left)} blobs, e.g.:")
    for name in left[:6]:
        print(f"    {name}")
    print("\n== The next run resumes it")
    resumed = hygge("go", "-w", WORKSPACE, env=env)
    check(resumed.returncode == 0, "the resumed run succeeds")
    compare(service, "after the resumed run")
    two_runs(service, env)
    journal(env, port)
    said = killed.stdout + killed.stderr + resumed.stdout + resumed.stderr
    check(KEY not in said, "the account key never shows")
    print("\nAll checks passed." if not failures else f"\n{len(failures)} check(s) failed.")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
