"""hygge as a user gets it: `pip install .` (a regular install, not the dev venv's editable
one) into a scratch venv, made once per bench run.

The dev venv's editable install adds a finder that every process loads at start-up and
imports hygge from the source tree; a user's `pip install hygge-el` does neither. The scratch
venv is built offline from the working tree: its own interpreter and site-packages hold hygge
(compiled at install, as pip does), and a `.pth` line puts the dev venv's site-packages after
them for the libraries (polars, pydantic…), so nothing is downloaded but the build backend
pip's ordinary build isolation asks the configured index for.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "README.md", "hygge")
EDITABLE = "editable"  # BENCH_INSTALL=editable: measure the dev venv's own install instead


def user_install(scratch: Path) -> Path:
    """A venv under `scratch` with hygge pip-installed from a copy of the working tree; returns
    the venv's interpreter."""
    source = scratch / "source"
    source.mkdir(parents=True)
    for name in SOURCES:
        if (ROOT / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
            shutil.copytree(ROOT / name, source / name, ignore=ignore)
        else:
            shutil.copy2(ROOT / name, source / name)
    venv = scratch / "venv"
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # the dev venv's libraries, after the venv's own site-packages (where hygge lands)
    (Path(site) / "_bench_libraries.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    install = [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--ignore-installed"]
    subprocess.run([*install, str(source)], check=True, env=environment)
    return python


def interpreter(scratch: Path, env: dict[str, str]) -> Path:
    """The interpreter whose `hygge` the bench runs: a regular install (the default), or this
    one with `BENCH_INSTALL=editable`."""
    choice = env.get("BENCH_INSTALL", "regular")
    if choice == EDITABLE:
        return Path(sys.executable)
    if choice != "regular":
        raise SystemExit(f"BENCH_INSTALL is {choice!r}; choose regular (the default) or editable")
    return user_install(scratch)
