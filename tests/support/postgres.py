"""A real PostgreSQL server for the test session, from Debian's packages.

`make test` (and `make postgres`) run `python -m tests.support.postgres install` first: it
installs `postgresql odbc-postgresql unixodbc unixodbc-dev` with apt-get when the server or the
ODBC driver is missing (nothing when both are there). A session fixture (tests/conftest.py)
then starts one cluster per xdist worker: `initdb` in a temporary folder named for the checkout
and the port range (a cluster a killed session left there is stopped first:
tests/support/postgres_cleanup.py; as the `postgres` user
when the session runs as root, since initdb refuses root), listening on 127.0.0.1 only, on the
first free port of that worker's range (15432, or `HYGGE_TEST_POSTGRES_PORT`, + 10 * worker
index), with a password (scram-sha-256) so tests pass secrets the way users do. The session
stops it and removes the folder at the end, or on SIGTERM/SIGINT. `HYGGE_TEST_NO_POSTGRES=1`
skips those tests.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.support.azurite import _free, worker_index
from tests.support.postgres_cleanup import (
    claim,
    owned_by_live_session,
    session_folder,
    stop_on_signals,
    stop_stale,
)

FIRST_PORT = int(os.environ.get("HYGGE_TEST_POSTGRES_PORT", "15432"))
PORTS_PER_WORKER = 10
DISABLE_VARIABLE = "HYGGE_TEST_NO_POSTGRES"
PACKAGES = ("postgresql", "odbc-postgresql", "unixodbc", "unixodbc-dev")
USER = "hygge"
PASSWORD = "hygge-test-password"  # a throwaway server on 127.0.0.1 for one test session
DATABASE = "hygge"
ODBC_DRIVER = "PostgreSQL Unicode"
ROOT = Path(__file__).resolve().parents[2]
DEV_FOLDER = ROOT / ".cache" / "postgres"


class PostgresUnavailableError(RuntimeError):
    """PostgreSQL could not be installed or started; the message says why and what to do."""


@dataclass(frozen=True)
class Postgres:
    """A running server: where it listens and how to log in."""

    host: str
    port: int
    user: str = USER
    password: str = PASSWORD
    database: str = DATABASE

    @property
    def url(self) -> str:
        """A libpq URL without the password (tests pass it as a secret)."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.database}"

    @property
    def conninfo(self) -> str:
        return (
            f"host={self.host} port={self.port} dbname={self.database} user={self.user} "
            f"password={self.password}"
        )

    @property
    def odbc(self) -> str:
        """An ODBC connection string through unixODBC and psqlODBC."""
        return (
            f"Driver={{{ODBC_DRIVER}}};Server={self.host};Port={self.port};"
            f"Database={self.database};Uid={self.user};Pwd={self.password};"
        )


def bin_dir() -> Path | None:
    """The folder of Debian's newest installed PostgreSQL server programs, if any."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def odbc_driver_installed() -> bool:
    odbcinst = shutil.which("odbcinst")
    if odbcinst is None:
        return False
    done = subprocess.run([odbcinst, "-q", "-d"], capture_output=True, text=True, check=False)
    return f"[{ODBC_DRIVER}]" in done.stdout


def install() -> Path:
    """The server's bin folder, installing Debian's packages with apt-get when missing."""
    found = bin_dir()
    if found is not None and odbc_driver_installed():
        return found
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        raise PostgresUnavailableError(
            "PostgreSQL or its ODBC driver is missing and cannot be installed here (needs "
            f"apt-get as root): install {' '.join(PACKAGES)}, or set {DISABLE_VARIABLE}=1 to "
            "run without the PostgreSQL tests"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    command = [apt, "install", "-y", "-q", "--no-install-recommends", *PACKAGES]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:  # an old package list: update it once, then try again
        subprocess.run([apt, "update", "-q"], capture_output=True, env=env, check=False)
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    found = bin_dir()
    if done.returncode != 0 or found is None or not odbc_driver_installed():
        raise PostgresUnavailableError(
            f"`{' '.join(command)}` failed (exit {done.returncode}):\n"
            f"{(done.stderr or done.stdout)[-2000:]}\n"
            f"Set {DISABLE_VARIABLE}=1 to run without the PostgreSQL tests."
        )
    return found


def _as_owner(command: list[str]) -> list[str]:
    """`command` run as the `postgres` user when this process is root (initdb refuses root)."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


class PostgresProcess:
    """One cluster in `folder`; `stop()` ends it and (unless kept) removes the folder."""

    def __init__(
        self,
        bin_folder: Path,
        host: str = "127.0.0.1",
        base_port: int | None = None,
        folder: Path | None = None,
    ) -> None:
        self.bin = bin_folder
        self.host = host
        base = FIRST_PORT + PORTS_PER_WORKER * worker_index() if base_port is None else base_port
        self.keep = folder is not None
        if folder is None:
            folder = session_folder(ROOT, base)
            if owned_by_live_session(folder):  # another session of this checkout runs there
                folder = folder.with_name(f"{folder.name}-{os.getpid()}")
            self._stop_stale(folder / "data")  # a session that died left it: frees its port
            shutil.rmtree(folder, ignore_errors=True)
            claim(folder)
        candidates = [p for p in range(base, base + PORTS_PER_WORKER) if _free(host, p)]
        if not candidates:
            raise PostgresUnavailableError(
                f"ports {base}-{base + PORTS_PER_WORKER - 1} on {host} are all in use; "
                f"PostgreSQL for this test worker needs one (or set HYGGE_TEST_POSTGRES_PORT)"
            )
        self.port = candidates[0]
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.data = self.folder / "data"
        self.log = self.folder / "postgres.log"

    def start(self, timeout: float = 60.0) -> Postgres:
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
        password = self.folder / "password"
        password.write_text(PASSWORD + "\n")
        if os.geteuid() == 0:
            os.chown(password, pwd.getpwnam("postgres").pw_uid, -1)
        if not (self.data / "PG_VERSION").exists():
            self._run(
                [str(self.bin / "initdb"), "-D", str(self.data), "-U", USER, "-E", "UTF8",
                 "--locale=C", "--auth-host=scram-sha-256", "--auth-local=trust",
                 f"--pwfile={password}"],
                "initdb",
            )  # fmt: skip
        options = (
            f"-h {self.host} -p {self.port} -k {self.folder} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60"
        )
        self._run(
            [str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options,
             "-w", "-t", str(int(timeout)), "start"],
            "pg_ctl start",
        )  # fmt: skip
        self.server = server = Postgres(self.host, self.port)
        created = self._run(
            [str(self.bin / "psql"), "-h", str(self.folder), "-p", str(self.port), "-U", USER,
             "-d", "postgres", "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"],
            "psql",
        )  # fmt: skip
        if created.strip() != "1":
            self._run(
                [str(self.bin / "createdb"), "-h", str(self.folder), "-p", str(self.port),
                 "-U", USER, DATABASE],
                "createdb",
            )  # fmt: skip
        return server

    def _run(self, command: list[str], what: str) -> str:
        done = subprocess.run(
            _as_owner(command), capture_output=True, text=True, check=False, cwd=self.folder
        )
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise PostgresUnavailableError(
                f"{what} failed (exit {done.returncode}): {(done.stderr or done.stdout)[-2000:]}"
                f"\n{log}"
            )
        return done.stdout

    def _stop_command(self, data: Path, mode: str = "fast") -> list[str]:
        return _as_owner([str(self.bin / "pg_ctl"), "-D", str(data), "-m", mode, "-w", "stop"])

    def _stop_stale(self, data: Path) -> None:
        stale = stop_stale(data, self._stop_command(data, "immediate"))
        if stale is not None:
            print(f"stopped PostgreSQL {stale} left running in {data}", file=sys.stderr)

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            command = self._stop_command(self.data)
            done = subprocess.run(command, capture_output=True, check=False)
            if done.returncode != 0:
                self._kill()
        if not self.keep:
            shutil.rmtree(self.folder, ignore_errors=True)

    def _kill(self) -> None:
        """The postmaster by the pid it wrote (never by name: other sessions run servers)."""
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int((self.data / "postmaster.pid").read_text().split()[0])
            os.kill(pid, signal.SIGKILL)


def start() -> PostgresProcess:
    """A running cluster for this worker, installed first when missing."""
    process = PostgresProcess(install())
    stop_on_signals(process.stop)  # `make test` killed: no server is left running
    try:
        process.start()
    except PostgresUnavailableError:
        process.stop()
        raise
    return process


def _developer(command: str) -> None:
    """`make postgres`: a kept server under .cache/postgres on port 15431 (start | stop)."""
    process = PostgresProcess(install(), base_port=15431, folder=DEV_FOLDER)
    if command == "stop":
        process.stop()
        print(f"stopped the server in {DEV_FOLDER}")
        return
    if (process.data / "postmaster.pid").exists():
        process.stop()  # a restart picks a free port again
    server = process.start()
    print(f"PostgreSQL on {server.host}:{server.port} (data in {DEV_FOLDER})")
    print(f"  url: {server.url}   password: {PASSWORD} (e.g. export PGPASSWORD=...)")
    print(f"  odbc: {server.odbc}")
    print("  stop it with: .venv/bin/python -m tests.support.postgres stop")


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if arguments == ["install"]:
        print(f"postgresql: {install()}")
    elif arguments in (["start"], ["stop"]):
        _developer(arguments[0])
    else:
        sys.exit("usage: python -m tests.support.postgres install | start | stop")
