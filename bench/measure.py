"""One measured operation in its own process; writes {"seconds", "peak_mib"} as JSON to OUT.

Usage: measure.py OUT process CWD COMMAND…   whole process: interpreter start-up, imports, work
       measure.py OUT hygge WORKSPACE [ARGS…]  `hygge go ARGS` in-process, the work only: the
                                               libraries are imported before the clock starts
       measure.py OUT raw KIND SRC DST          raw.py's `sink` (parquet or csv) in-process, the
                                               work only, as `hygge` measures hygge's
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_process(cwd: Path, command: list[str]) -> dict[str, float]:
    """Wall time of COMMAND from spawn to exit, and its peak RSS from the kernel (wait4).

    This process imports nothing heavy, so what the kernel may carry over from it into the
    child's peak (at fork/exec) is a few MiB, below any child's own."""
    with tempfile.TemporaryFile() as output:
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=cwd, stdout=output, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = code = os.waitstatus_to_exitcode(status)
        if code != 0:
            output.seek(0)
            tail = output.read()[-2000:].decode(errors="replace")
            raise SystemExit(f"{' '.join(command)} exited with {code} (in {cwd}):\n{tail}")
    return {"seconds": seconds, "peak_mib": usage.ru_maxrss / 1024}


def run_hygge(workspace: Path, args: list[str]) -> dict[str, float]:
    # Interpreter start-up and imports are the same for every run, whatever the data: the
    # clock measures loading the workspace, planning and moving. Only what `hygge go` of a
    # file home into a file store imports itself (no pyarrow: it never loads it, and its
    # ~33 MiB would count in this side's peak only).
    from importlib import import_module

    import polars  # noqa: F401

    from hygge.cli.app import main
    from hygge.cli.commands import COMMANDS

    # The CLI imports a command's module when it runs, and a plugin's when it opens.
    for module in (COMMANDS["go"].module, "hygge.homes.file_home", "hygge.stores.file_store"):
        import_module(module)

    sys.argv = ["hygge", "go", *args]
    os.chdir(workspace)
    started = time.perf_counter()
    try:
        main()
    except SystemExit as exit_:
        if exit_.code not in (0, None):
            raise
    return {"seconds": time.perf_counter() - started, "peak_mib": peak_rss_mib()}


def run_raw(kind: str, src: Path, dst: Path) -> dict[str, float]:
    # The raw sink with polars imported before the clock: paired with `run_hygge`, what is
    # left between them is moving the data, start-up left out.
    import polars  # noqa: F401
    from raw import sink

    started = time.perf_counter()
    sink(kind, src, dst)
    return {"seconds": time.perf_counter() - started, "peak_mib": peak_rss_mib()}


def peak_rss_mib() -> float:
    """This process's peak RSS. VmHWM belongs to the address space, which exec replaces;
    ru_maxrss would carry over the parent's peak from before the fork."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise SystemExit("no VmHWM in /proc/self/status: the bench needs Linux")


def main() -> None:
    out, kind, first, *rest = sys.argv[1:]
    if kind == "process":
        result = run_process(Path(first), rest)
    elif kind == "hygge":
        result = run_hygge(Path(first), rest)
    elif kind == "raw":
        if len(rest) != 2 or first not in ("parquet", "csv"):
            raise SystemExit("usage: measure.py OUT raw parquet|csv SRC DST")
        result = run_raw(first, Path(rest[0]), Path(rest[1]))
    else:
        raise SystemExit(f"unknown kind {kind}: process, hygge or raw")
    Path(out).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
