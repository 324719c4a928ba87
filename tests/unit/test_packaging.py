"""The project's files agree with each other: requirements.txt follows pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_requirements_txt_pins_every_dependency_the_functions_app_needs() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"]}
    for extra in ("azure", "functions", "postgres", "delta"):
        wanted |= {_name(r) for r in project["optional-dependencies"][extra]}
    pinned = {
        _name(line)
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line and not line.startswith(("#", " "))
    }

    missing = wanted - pinned
    assert not missing, f"run `make requirements`: requirements.txt lacks {sorted(missing)}"


def test_the_distribution_is_not_named_hygge_but_the_command_and_package_are() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    assert project["name"] != "hygge"
    assert project["scripts"]["hygge"] == "hygge.cli.start:main"
