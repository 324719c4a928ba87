"""The console script switches pydantic's plugin discovery off unless the user set it.

The discovery reads every installed distribution's entry points when the first model is built;
hygge uses no pydantic plugin. What is asserted is the setting and that no discovery ran,
never a time (start-up is measured by `make bench`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hygge.cli.start import PLUGINS_SETTING
from tests.support.cli import init_shop

# Runs the console script's entry point, then writes the setting it ran with and whether
# pydantic looked for plugins (its loader caches what it found once it has looked).
_RUN_AND_REPORT = """
import json, os, sys
sys.argv = ["hygge", "list"]
from hygge.cli.start import main
try:
    main()
except SystemExit:
    pass
finally:
    from pydantic.plugin import _loader
    report = {"setting": os.environ.get("PYDANTIC_DISABLE_PLUGINS"),
              "discovered": _loader._plugins is not None}
    with open(os.environ["REPORT_OUT"], "w", encoding="utf-8") as out:
        json.dump(report, out)
"""


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return init_shop(tmp_path_factory.mktemp("plugins"))


def run_list(shop: Path, setting: str | None) -> dict[str, object]:
    out = shop.parent / "report.json"
    env = {k: v for k, v in os.environ.items() if k != PLUGINS_SETTING}
    if setting is not None:
        env[PLUGINS_SETTING] = setting
    done = subprocess.run(
        [sys.executable, "-c", _RUN_AND_REPORT],
        cwd=shop,
        env={**env, "REPORT_OUT": str(out), "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.exists(), done.stdout + done.stderr
    report: dict[str, object] = json.loads(out.read_text(encoding="utf-8"))
    return report


def test_the_console_script_skips_pydantic_plugin_discovery_by_default(shop):
    assert run_list(shop, None) == {"setting": "__all__", "discovered": False}


def test_a_users_own_plugin_setting_is_kept(shop):
    # An empty setting turns discovery on in pydantic: the user asked for their plugins.
    assert run_list(shop, "") == {"setting": "", "discovered": True}
