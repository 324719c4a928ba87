"""`make demo-functions` keeps working: its walk-through (HTTP API, the replay-driven run with
a SIGKILLed activity redelivered, status, landing vs lake) passes every check on Azurite."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.azurite
DEMO = Path(__file__).resolve().parents[2] / "demo" / "functions_demo.py"


def test_the_walk_through_passes_every_check(azurite, monkeypatch, capsys):
    for name in ("HYGGE_WORKSPACE", "HYGGE_STORAGE_CONNECTION", "HYGGE_LANDING_CONTAINER"):
        monkeypatch.setenv(name, "")  # restored after the test: the demo sets them
    spec = importlib.util.spec_from_file_location("functions_demo_under_test", DEMO)
    assert spec is not None and spec.loader is not None
    demo = importlib.util.module_from_spec(spec)
    monkeypatch.chdir(DEMO.parent.parent)
    spec.loader.exec_module(demo)

    demo.walk_through(azurite.connection_string)

    said = capsys.readouterr().out
    assert demo.failures == [], said
    assert "SIGKILL mid-chunk" in said and "lake == landing" in said
