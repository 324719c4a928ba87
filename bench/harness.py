"""Running measurements from the bench's parent process: each in a fresh process, paired runs
interleaved (hygge, raw, hygge, raw…) so machine noise falls on both sides alike."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from table import Measured, summarise

HERE = Path(__file__).resolve().parent
Run = Callable[[], Measured]
# Measured processes keep their compiled bytecode as a pip-installed hygge does (pip compiles at
# install): with PYTHONDONTWRITEBYTECODE set, an editable install recompiles on every start.
_BYTECODE_CACHED = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
# The interpreter of the measured processes: run.py sets the scratch venv of a regular install
# (install.py), as a user's `pip install` gives; the bench's own until then.
_interpreter = Path(sys.executable)


def use_interpreter(python: Path) -> None:
    """Measure `hygge` and the Python baselines with `python` (and its console script)."""
    global _interpreter  # noqa: PLW0603 — one setting for the whole bench run
    _interpreter = python


def measure_script(
    command: list[str], args: list[str], env: dict[str, str], *, quiet: bool = False
) -> Measured:
    """Run `command OUT *args`, a script that times its own work and writes {"seconds",
    "peak_mib"} to OUT, with `env` added to the bytecode-caching environment."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        path = Path(out.name)
    try:
        environment = {**_BYTECODE_CACHED, **env}
        output = subprocess.DEVNULL if quiet else None
        subprocess.run([*command, str(path), *args], check=True, stdout=output, env=environment)
        data = json.loads(path.read_text())
    finally:
        path.unlink(missing_ok=True)  # the temporary file made just above
    return Measured(float(data["seconds"]), float(data["peak_mib"]))


def _measure(*args: str, env: dict[str, str] | None = None) -> Measured:
    command = [sys.executable, str(HERE / "measure.py")]
    return measure_script(command, list(args), env or {}, quiet=True)


def process(cwd: Path, *command: str, env: dict[str, str] | None = None) -> Run:
    """A whole process (start-up, imports, work), run from `cwd`, with `env` added."""
    return lambda: _measure("process", str(cwd), *command, env=env)


def hygge_work(workspace: Path, *go_args: str) -> Run:
    """`hygge go` in-process, timing the work only (imports done before the clock)."""
    return lambda: _measure("hygge", str(workspace), *go_args)


def raw_work(kind: str, src: Path, dst: Path) -> Run:
    """raw.py's parquet or csv sink in-process, timing the work only (as `hygge_work`)."""
    return lambda: _measure("raw", kind, str(src), str(dst))


def hygge(*args: str) -> list[str]:
    """The `hygge` console script installed next to the measured interpreter (as a user runs
    it)."""
    script = _interpreter.with_name("hygge")
    found = str(script) if script.exists() else shutil.which("hygge")
    if found is None:
        raise SystemExit("no `hygge` command next to the interpreter nor on PATH: make venv")
    return [found, *args]


def python(*args: str) -> list[str]:
    return [str(_interpreter), *args]


def raw(kind: str, src: Path, dst: Path) -> list[str]:
    return python(str(HERE / "raw.py"), kind, str(src), str(dst))


def once(run: Run, repeat: int) -> Measured:
    return summarise([run() for _ in range(repeat)])


def paired(first: Run, second: Run, repeat: int) -> tuple[Measured, Measured]:
    """Both measured `repeat` times, alternating; each summarised (median s, max MiB)."""
    a, b = [], []
    for _ in range(repeat):
        a.append(first())
        b.append(second())
    return summarise(a), summarise(b)


def workspace(root: Path, flows: dict[str, str]) -> Path:
    """A hygge project at `root` with one flow.yml per entry of `flows`."""
    (root / "flows").mkdir(parents=True, exist_ok=True)
    (root / "hygge.yml").write_text("name: bench\n")
    for name, text in flows.items():
        (root / "flows" / name).mkdir(parents=True, exist_ok=True)
        (root / "flows" / name / "flow.yml").write_text(text)
    return root
