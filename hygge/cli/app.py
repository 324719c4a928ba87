"""The `hygge` command: wiring only; each command lives in its own module.

CLI modules import heavy libraries lazily: this module imports Typer and the command table
only, and a command's module is imported when that command runs (`hygge.cli.commands`).
"""

from __future__ import annotations

import sys

try:  # these imports take a moment: Ctrl-C meanwhile gets one line, not a traceback
    from typing import Annotated

    import typer

    from hygge.cli.collection import pause_collection, skip_final_collections
    from hygge.cli.commands import LazyCommands
except KeyboardInterrupt:
    sys.stderr.write("hygge: interrupted while starting; nothing was done\n")
    raise SystemExit(130) from None

DISTRIBUTION = "hygge-el"

HELP = """\
hygge moves data from homes (parquet, csv and ndjson files) to stores (folders of parquet,
csv or ndjson files), fully or incrementally, and journals every run.

Run it anywhere inside a project: it finds the nearest hygge.yml above the current folder.

[bold]Examples[/]

  hygge init shop && cd shop       a new project with sample data
  hygge go                         move every entity
  hygge go -f sales -e crm.users   one flow and one entity (repeat, or comma lists)
  hygge go -i --dry-run            what an incremental run would read; moves nothing
  hygge go --resume                continue interrupted runs from their checkpoints
  hygge reset -f sales -e orders   forget a watermark: the next run reloads fully
  hygge unlock -f sales -e orders  remove a lock whose run is gone
  hygge adopt-state                this (moved) workspace takes over its state folder
  hygge go --var flow.sales.store.path=/tmp/out
  hygge journal -n 5 --json        the last five runs, for scripts
  hygge debug                      check config, homes, stores and state
  hygge publish . az://config/shop  push this workspace to a blob container prefix
  hygge go -w az://config/shop     run a workspace read from blob storage

Exit codes: 0 ok, 1 an entity or check failed, 2 configuration error, 130 interrupted.
"""

app = typer.Typer(
    name="hygge",
    cls=LazyCommands,
    help=HELP,
    rich_markup_mode="rich",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    add_completion=False,
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"hygge {package_version()}")
        raise typer.Exit()


def package_version() -> str:
    """The installed version, or a note when running from a source tree without metadata."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "(not installed: run `pip install -e .` for version metadata)"


@app.callback()
def main_options(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    return None


def main() -> None:
    """Run the command line (the `hygge` console script is `hygge.cli.start`)."""
    pause_collection()
    try:
        app(prog_name="hygge")
    finally:
        skip_final_collections()


if __name__ == "__main__":
    main()
