"""`make demo-azure` replaces only the folder it made: not a link, not a folder without its
marker (the first rule, for the demo's own clean-up)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

DEMO = Path(__file__).resolve().parents[2] / "demo" / "azure_demo.py"


def _demo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("azure_demo_under_test", DEMO)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_link_in_place_of_the_demo_folder_is_refused(tmp_path, monkeypatch, capsys) -> None:
    demo = _demo()
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / demo.MARKER).touch()  # even with the marker inside
    (theirs / "keep.txt").write_text("mine")
    link = tmp_path / ".demo-azure"
    link.symlink_to(theirs)
    monkeypatch.setattr(demo, "FOLDER", link)

    assert demo.main() == 1
    assert (theirs / "keep.txt").read_text() == "mine"
    assert "is a link" in capsys.readouterr().out


def test_a_folder_without_the_demos_marker_is_refused(tmp_path, monkeypatch, capsys) -> None:
    demo = _demo()
    folder = tmp_path / ".demo-azure"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    monkeypatch.setattr(demo, "FOLDER", folder)

    assert demo.main() == 1
    assert (folder / "keep.txt").read_text() == "mine"
    assert "not made by this demo" in capsys.readouterr().out


@pytest.fixture(autouse=True)
def _no_azurite(monkeypatch: pytest.MonkeyPatch) -> None:
    """The refusals come before Azurite starts; starting it here would be a failure."""
    monkeypatch.setenv("DEMO_AZURITE_PORT", "1")
