"""Azurite (Microsoft's Azure Storage emulator, npm `azurite`) for the test session.

`make test` runs `python -m tests.support.azurite install` first; a session fixture
(tests/conftest.py) installs it too when missing, then starts one blob service per xdist worker
on 127.0.0.1, on a port of that worker's own range (10000, or `HYGGE_TEST_AZURITE_PORT`, + 10 *
worker index, the first free one), in a temporary folder, and stops it when the session ends.

Installed into `.cache/azurite` (ignored by git) with `npm install --prefix`; the version is
pinned to one that runs on Node.js 20 (3.36 and later need Node.js 21+). Nothing here touches a
global npm folder.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

VERSION = "3.35.0"
ROOT = Path(__file__).resolve().parents[2]
PREFIX = ROOT / ".cache" / "azurite"
BIN = PREFIX / "node_modules" / ".bin" / "azurite-blob"
ACCOUNT = "devstoreaccount1"
# Azurite's well-known development key (public, in Microsoft's documentation): not a secret.
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
# Two test sessions on one machine (parallel work trees) set HYGGE_TEST_AZURITE_PORT apart.
FIRST_PORT = int(os.environ.get("HYGGE_TEST_AZURITE_PORT", "10000"))
PORTS_PER_WORKER = 10
DISABLE_VARIABLE = "HYGGE_TEST_NO_AZURITE"


class AzuriteUnavailableError(RuntimeError):
    """Azurite could not be installed or started; the message says why and what to do."""


@dataclass(frozen=True)
class Azurite:
    """A running blob service: where it listens and how to reach it."""

    host: str
    port: int

    @property
    def account_url(self) -> str:
        return f"http://{self.host}:{self.port}/{ACCOUNT}"

    @property
    def connection_string(self) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};"
            f"BlobEndpoint={self.account_url};"
        )


def installed_version() -> str | None:
    package = PREFIX / "node_modules" / "azurite" / "package.json"
    try:
        return str(json.loads(package.read_text())["version"])
    except (OSError, ValueError, KeyError):
        return None


def install() -> Path:
    """The azurite-blob executable, installed from npm into .cache/azurite when missing.

    A file lock makes parallel test workers wait for one install."""
    if BIN.exists() and installed_version() == VERSION:
        return BIN
    npm = shutil.which("npm")
    if npm is None:
        raise AzuriteUnavailableError(
            "npm is not on PATH, so Azurite cannot be installed: install Node.js 20 and npm "
            f"(apt-get install nodejs npm), or set {DISABLE_VARIABLE}=1 to run without the "
            "blob storage tests"
        )
    PREFIX.mkdir(parents=True, exist_ok=True)
    with (PREFIX / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if BIN.exists() and installed_version() == VERSION:
            return BIN
        command = [npm, "install", "--prefix", str(PREFIX), "--no-audit", "--no-fund"]
        command += ["--loglevel=error", "--save-exact", f"azurite@{VERSION}"]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0 or not BIN.exists():
            raise AzuriteUnavailableError(
                f"`{' '.join(command)}` failed (exit {done.returncode}):\n"
                f"{(done.stderr or done.stdout)[-2000:]}\n"
                f"Set {DISABLE_VARIABLE}=1 to run without the blob storage tests."
            )
    return BIN


def worker_index() -> int:
    """0 for the main process, N for xdist's `gwN`."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    digits = worker.removeprefix("gw")
    return int(digits) if digits.isdigit() else 0


def _free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _listening(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


class AzuriteProcess:
    """One Azurite blob service in a temporary folder; `stop()` ends it and removes the folder."""

    def __init__(
        self, executable: Path, host: str = "127.0.0.1", base_port: int | None = None
    ) -> None:
        self.host = host
        base = FIRST_PORT + PORTS_PER_WORKER * worker_index() if base_port is None else base_port
        candidates = [p for p in range(base, base + PORTS_PER_WORKER) if _free(host, p)]
        if not candidates:
            raise AzuriteUnavailableError(
                f"ports {base}-{base + PORTS_PER_WORKER - 1} on {host} are all in use; "
                "Azurite for this test worker needs one of them"
            )
        self.port = candidates[0]
        self.folder = Path(tempfile.mkdtemp(prefix="hygge-azurite-"))
        self.log = self.folder / "azurite.log"
        command = [str(executable), "--silent", "--skipApiVersionCheck", "--disableTelemetry"]
        command += ["--loose", "--location", str(self.folder / "data")]
        command += ["--blobHost", host, "--blobPort", str(self.port)]
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )

    def wait(self, timeout: float = 30.0) -> Azurite:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if _listening(self.host, self.port):
                return Azurite(self.host, self.port)
            time.sleep(0.1)
        output = self.log.read_text(errors="replace")[-2000:]
        self.stop()
        raise AzuriteUnavailableError(
            f"Azurite did not start on {self.host}:{self.port} within {timeout:.0f} s "
            f"(exit code {self.process.returncode}):\n{output}"
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def start() -> AzuriteProcess:
    """A running Azurite, installed first when missing; AzuriteUnavailableError saying why."""
    process = AzuriteProcess(install())
    process.wait()
    return process


if __name__ == "__main__":
    if sys.argv[1:] != ["install"]:
        sys.exit("usage: python -m tests.support.azurite install")
    print(f"azurite {VERSION}: {install()}")
