"""The `hygge` console script: the collector is paused before the first import of Typer and
Rich (`hygge.cli.collection`), then `hygge.cli.app` runs the command line."""

from __future__ import annotations

from hygge.cli.collection import pause_collection


def main() -> None:
    """Console-script entry point (`hygge`, `python -m hygge`)."""
    pause_collection()
    from hygge.cli.app import main as run_command_line

    run_command_line()
