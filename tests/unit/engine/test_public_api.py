"""The curated public API: every listed name resolves, and `import hygge` stays light."""

from __future__ import annotations

import subprocess
import sys

import pytest

import hygge
import hygge.engine


@pytest.mark.parametrize("module", [hygge, hygge.engine], ids=["hygge", "hygge.engine"])
def test_every_public_name_resolves(module: object) -> None:
    for name in module.__all__:  # type: ignore[attr-defined]
        assert getattr(module, name) is not None, name


def test_import_hygge_loads_neither_polars_nor_the_engine() -> None:
    probe = "import sys, hygge; print('polars' in sys.modules, 'hygge.engine.steps' in sys.modules)"

    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)

    assert out.stdout.split() == ["False", "False"]
