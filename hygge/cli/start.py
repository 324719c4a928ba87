"""The `hygge` console script: Ctrl-C is routed around Python's import machinery
(`hygge.cli.interrupts`) and the collector is paused (`hygge.cli.collection`) before the first
import of Typer and Rich; then `hygge.cli.app` runs the command line.

Pydantic's plugin discovery is switched off by default (`PYDANTIC_DISABLE_PLUGINS=__all__`,
unless the environment sets it): hygge uses no pydantic plugin, and the discovery reads the
entry points of every installed distribution the first time a model is built, ~10-30 ms of
every start-up that builds one (`hygge go`, `hygge list`…). A user who runs a pydantic
plugin on purpose sets the variable to what they want.
"""

from __future__ import annotations

import os

from hygge.cli import interrupts
from hygge.cli.collection import pause_collection

PLUGINS_SETTING = "PYDANTIC_DISABLE_PLUGINS"


def main() -> None:
    """Console-script entry point (`hygge`, `python -m hygge`)."""
    interrupts.install()
    os.environ.setdefault(PLUGINS_SETTING, "__all__")  # before pydantic is imported
    pause_collection()
    from hygge.cli.app import main as run_command_line

    run_command_line()
