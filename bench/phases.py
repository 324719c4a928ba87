"""Where a `hygge go`'s memory and CPU go: the run in-process, its RSS sampled every few
milliseconds in a thread (anonymous and file-backed apart), against phase markers set around
the engine's steps. tracemalloc does not see polars' allocations; /proc does.

Usage: .venv/bin/python bench/phases.py WORKSPACE [GO ARGS…]
       .venv/bin/python bench/phases.py --raw csv|parquet SRC DST   (raw.py's sink, the same way)

Prints, for each span between two markers, the highest RSS sampled in it (with its anonymous
and file-backed parts: the latter is mostly polars' code paged in) and the CPU seconds spent.
A diagnostic for finding a peak, not a benchmark: the sampling thread costs a little CPU.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
import time
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
INTERVAL = 0.005  # seconds between samples

# (module, attribute path, label): the steps of a file home → file store chunk.
PHASES = (
    ("hygge.homes.file_home", "FileHome.open_window", "open window"),
    ("hygge.homes.file_home", "FileHome._infer", "infer schema"),
    ("hygge.homes.file_home", "FileHome.scan", "describe chunk"),
    ("hygge.homes.file_scan", "_counts", "count rows"),
    ("hygge.engine.streaming", "_sink", "sink chunk"),
    ("hygge.stores.file_store", "FileStore.publish", "publish"),
)


def memory() -> tuple[int, int, int]:
    """RSS, its anonymous and its file-backed part, in MiB."""
    found = dict.fromkeys(("VmRSS", "RssAnon", "RssFile"), 0)
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in found:
            found[key] = int(value.split()[0]) // 1024
    return found["VmRSS"], found["RssAnon"], found["RssFile"]


class Trace:
    """Samples and markers since the trace began."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.samples: list[tuple[float, tuple[int, int, int]]] = []
        self.marks: list[tuple[float, float, str]] = []
        self.mark("start")
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while True:
            self.samples.append((time.perf_counter() - self.start, memory()))
            time.sleep(INTERVAL)

    def mark(self, label: str) -> None:
        self.marks.append((time.perf_counter() - self.start, time.process_time(), label))

    def around(self, module: str, attribute: str, label: str) -> None:
        """Mark before and after each call of `module.attribute` (a function or a method)."""
        owner: Any = importlib.import_module(module)
        *path, name = attribute.split(".")
        for part in path:
            owner = getattr(owner, part)
        original: Callable[..., Any] = getattr(owner, name)

        @wraps(original)
        def marked(*args: Any, **kwargs: Any) -> Any:
            self.mark(f"{label} >")
            try:
                return original(*args, **kwargs)
            finally:
                self.mark(f"{label} <")

        setattr(owner, name, marked)

    def report(self) -> str:
        time.sleep(2 * INTERVAL)  # a last sample after the last marker
        lines = [f"{'from':>8} {'to':>8} {'cpu s':>6} {'peak':>5} {'anon':>5} {'file':>5}  until"]
        for (t0, cpu0, _), (t1, cpu1, label) in zip(self.marks, self.marks[1:], strict=False):
            span = [mem for at, mem in self.samples if t0 <= at <= t1]
            before = [mem for at, mem in self.samples if at < t0][-1:]  # a span too short
            rss, anon, file = max(span or before or [memory()])
            lines.append(
                f"{t0:8.3f} {t1:8.3f} {cpu1 - cpu0:6.2f} {rss:5d} {anon:5d} {file:5d}  {label}"
            )
        hwm = next(
            line.split()[1]
            for line in Path("/proc/self/status").read_text().splitlines()
            if line.startswith("VmHWM:")
        )
        lines.append(f"peak RSS (VmHWM) {int(hwm) // 1024} MiB")
        return "\n".join(lines)


def main(argv: list[str]) -> str:
    if not argv:
        raise SystemExit(__doc__)
    trace = Trace()
    import polars  # noqa: F401

    trace.mark("import polars")
    if argv[0] == "--raw":
        if len(argv) != 4 or argv[1] not in ("csv", "parquet"):
            raise SystemExit("usage: phases.py --raw csv|parquet SRC DST")
        sys.path.insert(0, str(HERE))
        from raw import sink

        sink(argv[1], Path(argv[2]), Path(argv[3]))
        trace.mark("raw sink")
        return trace.report()
    workspace = Path(argv[0])
    if not (workspace / "hygge.yml").is_file():
        raise SystemExit(f"{workspace} holds no hygge.yml: give a hygge project's folder")
    from hygge.cli.app import main as hygge_main

    trace.mark("import hygge.cli")
    for module, attribute, label in PHASES:
        trace.around(module, attribute, label)
    trace.mark("import the file home and store")
    sys.argv = ["hygge", "go", *argv[1:]]
    os.chdir(workspace)
    try:
        hygge_main()
    except SystemExit as exit_:
        if exit_.code not in (0, None):
            raise
    trace.mark("end")
    return trace.report()


if __name__ == "__main__":
    print(main(sys.argv[1:]))
