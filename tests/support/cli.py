"""Drive the installed `hygge` command as a user would, in a workspace made by `hygge init`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HYGGE = str(Path(sys.executable).with_name("hygge"))


def hygge(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `hygge *args` in `cwd` (no HYGGE_FAULT unless `env` sets one); wide output."""
    full_env = {k: v for k, v in os.environ.items() if k != "HYGGE_FAULT"}
    full_env.update({"COLUMNS": "400", **(env or {})})
    return subprocess.run(
        [HYGGE, *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def init_shop(parent: Path) -> Path:
    """`hygge init shop` in `parent`: the sample workspace, its landing data and flows."""
    done = hygge(parent, "init", "shop")
    assert done.returncode == 0, done.stdout + done.stderr
    return parent / "shop"


def in_process(ws: Path, *args: str) -> tuple[int, str]:
    """`hygge *args -w ws` run in this process (Typer's runner, 400 columns): its exit code
    and its output with every run of whitespace made one space, so wrapped text matches."""
    from typer.testing import CliRunner

    from hygge.cli.app import app

    done = CliRunner(env={"COLUMNS": "400"}).invoke(app, [*args, "-w", str(ws)])
    return done.exit_code, " ".join(done.output.split())
