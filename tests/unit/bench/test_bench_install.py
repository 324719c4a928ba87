"""The bench measures hygge as a user installs it: a regular `pip install` into a scratch venv."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

BenchModule = Callable[[str], ModuleType]


def test_editable_measures_this_interpreter(bench_module: BenchModule, tmp_path: Path) -> None:
    install = bench_module("install")
    chosen = install.interpreter(tmp_path, {"BENCH_INSTALL": "editable"})
    assert chosen == Path(sys.executable)
    assert not any(tmp_path.iterdir())  # nothing installed


def test_an_unknown_install_names_the_choices(bench_module: BenchModule, tmp_path: Path) -> None:
    install = bench_module("install")
    with pytest.raises(SystemExit, match=r"BENCH_INSTALL is 'wheel'; choose regular .* editable"):
        install.interpreter(tmp_path, {"BENCH_INSTALL": "wheel"})


def test_the_regular_install_imports_hygge_from_its_own_venv(
    bench_module: BenchModule, tmp_path: Path
) -> None:
    python = bench_module("install").user_install(tmp_path)
    where = subprocess.run(
        [str(python), "-c", "import hygge, polars, sys; print(hygge.__file__); print(sys.prefix)"],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,  # as the bench runs it: from a workspace, not the source tree
    ).stdout.split("\n")
    assert Path(where[0]).is_relative_to(tmp_path / "venv")  # not the source tree's
    assert "site-packages" in where[0]
    assert (python.with_name("hygge")).exists()  # the console script a user runs
    version = subprocess.run(
        [str(python.with_name("hygge")), "--version"], check=True, capture_output=True, text=True
    )
    assert version.stdout.startswith("hygge ")
    assert "not installed" not in version.stdout
