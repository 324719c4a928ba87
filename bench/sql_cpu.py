"""parquet → PostgreSQL measured by CPU, paired: `hygge go` vs raw `adbc_ingest`, by turns.

Usage: sql_cpu.py [--rows N] [--rounds R] [--durable] [--before DIR] [--keep DIR]
                  [--store-batch N]

Wall seconds on a shared 2-core machine move with the load; CPU seconds move much less. Each
measurement is a fresh process; its CPU is the process's own user+sys (`wait4`) plus the
server's: the postmaster's reaped children (`cutime`+`cstime` in /proc: every backend that
ended) and its live ones (checkpointer, WAL writer, …), before and after. Autovacuum is off so
its work on the new tables does not land in the next measurement.

The server is this script's own (`initdb` under `.cache/sql-cpu`, port BENCH_PG_PORT or
29460, stopped at the end): with `--durable` PostgreSQL's defaults (`fsync`, `synchronous_commit
= on`, `full_page_writes`: what a user's server does, each commit waits for its WAL flush),
else the test server's settings (all three off). `--before DIR` adds a third side: `hygge go`
of the code in DIR (a copy of an older commit, `git archive`), on PYTHONPATH.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

TICK = os.sysconf("SC_CLK_TCK")
USER, PASSWORD, DATABASE = "bench", "bench-password", "bench"


def _proc_cpu(pid: int, children: bool) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    own = int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    reaped = int(fields[13]) + int(fields[14]) if children else 0  # cutime, cstime
    return (own + reaped) / TICK


class Server:
    def __init__(self, root: Path, port: int, durable: bool) -> None:
        from tests.support.postgres import bin_dir

        found = bin_dir()
        if found is None:
            raise SystemExit("no PostgreSQL server programs: make postgres-install")
        self.bin, self.root, self.port, self.durable = found, root, port, durable
        self.data = root / "data"

    def _as_owner(self, command: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command

    def start(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(parents=True)
        password = self.root / "password"
        password.write_text(PASSWORD + "\n")
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
            shutil.chown(password, "postgres")
        subprocess.run(
            self._as_owner([str(self.bin / "initdb"), "-D", str(self.data), "-U", USER,
                            "--locale=C", "-E", "UTF8", "--auth-host=scram-sha-256",
                            "--auth-local=trust", f"--pwfile={password}"]),
            check=True, capture_output=True,
        )  # fmt: skip
        settings = "-c autovacuum=off -c max_wal_size=4GB"
        if not self.durable:
            settings += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        options = f"-h 127.0.0.1 -p {self.port} -k {self.root} {settings}"
        subprocess.run(
            self._as_owner([str(self.bin / "pg_ctl"), "-D", str(self.data), "-l",
                            str(self.root / "log"), "-o", options, "-w", "start"]),
            check=True, capture_output=True,
        )  # fmt: skip
        psql = [str(self.bin / "psql"), "-h", str(self.root), "-p", str(self.port), "-U", USER]
        subprocess.run(
            self._as_owner([*psql, "-d", "postgres", "-c", f"CREATE DATABASE {DATABASE}"]),
            check=True, capture_output=True,
        )  # fmt: skip

    def stop(self) -> None:
        subprocess.run(
            self._as_owner([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop"]),
            check=False, capture_output=True,
        )  # fmt: skip
        shutil.rmtree(self.root, ignore_errors=True)

    def postmaster(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def children(self) -> list[int]:
        found = Path(f"/proc/{self.postmaster()}/task/{self.postmaster()}/children")
        return [int(pid) for pid in found.read_text().split()]

    def cpu(self) -> float:
        """The server's CPU so far: the postmaster's, its reaped children's, its live ones'."""
        total = _proc_cpu(self.postmaster(), children=True)
        for pid in self.children():
            try:
                total += _proc_cpu(pid, children=False)
            except FileNotFoundError:
                continue  # it ended between the listing and the read: reaped, counted above
        return total

    def settle(self, baseline: int) -> None:
        """Wait until the backends of the last run have ended (and are reaped)."""
        deadline = time.monotonic() + 30
        while len(self.children()) > baseline and time.monotonic() < deadline:
            time.sleep(0.05)

    @property
    def uri(self) -> str:
        return f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{DATABASE}"

    @property
    def url(self) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{DATABASE}"


def _workspace(root: Path, url: str, src: Path, table: str, batch: int | None) -> Path:
    (root / "flows" / "load").mkdir(parents=True, exist_ok=True)
    (root / "hygge.yml").write_text(
        f"name: bench\nconnections:\n  pg: {{type: postgres, url: '{url}', "
        'password: "${BENCH_PG_PASSWORD}"}\n'
    )
    (root / "flows" / "load" / "flow.yml").write_text(
        f"home: {{type: parquet, path: {src.parent}}}\n"
        f"store: {{type: postgres, connection: pg, table: public.{table}"
        + (f", batch_size: {batch}" if batch else "")
        + "}\n"
        f"run_type: full_drop\nentities: [{src.name}]\n"
    )
    return root


def measure(server: Server, command: list[str], cwd: Path, env: dict[str, str]) -> dict[str, float]:
    baseline = len(server.children())
    before = server.cpu()
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)  # fmt: skip
    output = child.stdout.read() if child.stdout else b""
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{command} failed:\n{output.decode(errors='replace')[-3000:]}")
    server.settle(baseline)
    return {
        "client": usage.ru_utime + usage.ru_stime,
        "server": server.cpu() - before,
        "wall": wall,
        "peak": usage.ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--durable", action="store_true")
    parser.add_argument("--before", type=Path)
    parser.add_argument("--keep", type=Path, help="reuse (or make) the parquet files here")
    parser.add_argument("--store-batch", type=int, help="the postgres store's batch_size")
    args = parser.parse_args()
    work = REPO / ".cache" / "sql-cpu"
    src = ((args.keep or work / "parquet") / "lineitem").resolve()
    if not src.exists():
        from lineitem import write_lineitem

        write_lineitem(src, args.rows)
    port = int(os.environ.get("BENCH_PG_PORT", "29460"))
    server = Server(work / f"server-{port}", port, args.durable)
    server.start()
    try:
        _run(server, work, src, args)
    finally:
        server.stop()


def _run(server: Server, work: Path, src: Path, args: argparse.Namespace) -> None:
    env = {**os.environ, "BENCH_PG_URI": server.uri, "BENCH_PG_PASSWORD": PASSWORD}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    hygge = str(Path(sys.executable).with_name("hygge"))
    batch = args.store_batch
    after = _workspace(work / "ws-after", server.url, src, "lineitem_in", batch)
    raw = [sys.executable, str(HERE / "sql_raw.py"), "ingest", "lineitem_raw", str(src)]
    sides: dict[str, tuple[list[str], Path, dict[str, str]]] = {
        "hygge": ([hygge, "go"], after, env),
        "raw": (raw, work, env),
    }
    if args.before:
        before_env = {**env, "PYTHONPATH": str(args.before)}
        code = "import sys; from hygge.cli.app import main; sys.argv = ['hygge', 'go']; main()"
        before = _workspace(work / "ws-before", server.url, src, "lineitem_before", batch)
        sides["before"] = ([sys.executable, "-c", code], before, before_env)
    for command, cwd, environment in sides.values():  # warm: bytecode, page cache
        measure(server, command, cwd, environment)
    results: dict[str, list[dict[str, float]]] = {name: [] for name in sides}
    for round_ in range(args.rounds):
        for name, (command, cwd, environment) in sides.items():
            found = measure(server, command, cwd, environment)
            results[name].append(found)
            print(
                f"round {round_ + 1} {name:7} client {found['client']:6.2f} s  server "
                f"{found['server']:6.2f} s  total {found['client'] + found['server']:6.2f} s  "
                f"wall {found['wall']:6.2f} s  peak {found['peak']:4.0f} MiB  "
                f"load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    _summary(results)


def _summary(results: dict[str, list[dict[str, float]]]) -> None:
    def total(found: dict[str, float]) -> float:
        return found["client"] + found["server"]

    for name, found in results.items():
        print(
            f"{name:7} median client {statistics.median(f['client'] for f in found):.2f} s, "
            f"server {statistics.median(f['server'] for f in found):.2f} s, total "
            f"{statistics.median(total(f) for f in found):.2f} s, wall "
            f"{statistics.median(f['wall'] for f in found):.2f} s, peak "
            f"{max(f['peak'] for f in found):.0f} MiB "
            f"(range {min(total(f) for f in found):.2f}-{max(total(f) for f in found):.2f})"
        )
    raw = results["raw"]
    for name in (n for n in results if n != "raw"):
        pairs = [total(r) / total(h) for h, r in zip(results[name], raw, strict=True)]
        print(
            f"raw/{name} CPU per round: {', '.join(f'{p:.2f}' for p in pairs)}; median "
            f"{statistics.median(pairs):.2f}x"
        )


if __name__ == "__main__":
    main()
