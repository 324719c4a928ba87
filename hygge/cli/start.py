"""The `hygge` console script: Ctrl-C is routed around Python's import machinery
(`hygge.cli.interrupts`) and the collector is paused (`hygge.cli.collection`) before the first
import of Typer and Rich; then `hygge.cli.app` runs the command line."""

from __future__ import annotations

from hygge.cli import interrupts
from hygge.cli.collection import pause_collection


def main() -> None:
    """Console-script entry point (`hygge`, `python -m hygge`)."""
    interrupts.install()
    pause_collection()
    from hygge.cli.app import main as run_command_line

    run_command_line()
