"""`hygge --help`: the usage, the overview, the options and the commands, drawn with Rich.

Typer's own help (`typer.rich_utils`) also imports Rich's Markdown, syntax and traceback
modules, which hygge's help does not use and which take longer to import than the rest of
`hygge --help`. This page draws the same panels from `rich.console`, `rich.panel` and
`rich.table` only. A command's own help (`hygge go --help`) stays Typer's. Help texts are
Rich markup, as with Typer, without emoji codes (hygge's texts use none).
"""

from __future__ import annotations

import inspect
import os
from typing import TYPE_CHECKING

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from typer.core import TyperArgument, TyperOption

if TYPE_CHECKING:
    from typer._click import Command, Context, Parameter

OPTION = "bold cyan"
SWITCH = "bold green"
TYPE = "bold yellow"
BORDER = "dim"


def help_console() -> Console:
    """A console as Typer's help has: TERMINAL_WIDTH caps the width, and FORCE_COLOR,
    PY_COLORS or GITHUB_ACTIONS draw in colour into a pipe."""
    width = os.environ.get("TERMINAL_WIDTH")
    forced = any(os.environ.get(v) for v in ("GITHUB_ACTIONS", "FORCE_COLOR", "PY_COLORS"))
    return Console(
        highlight=False,
        emoji=False,
        width=int(width) if width else None,
        force_terminal=forced or None,
    )


def print_group_help(group: Command, ctx: Context, commands: list[tuple[str, str]]) -> None:
    """The group's help page; `commands` are the (name, summary) pairs to list."""
    console = help_console()
    usage = Text.assemble(("Usage: ", "yellow"), group.get_usage(ctx).removeprefix("Usage: "))
    console.print(Padding(usage, 1), style="bold")
    if group.help:
        console.print(Padding(_overview(group.help), (0, 1, 1, 1)))
    console.print(_panel("Options", _options(group.get_params(ctx), ctx)))
    console.print(_panel("Commands", _commands(commands)))


def _overview(help_text: str) -> RenderableType:
    """The first paragraph as one line of prose; the rest dim, as written (Rich markup)."""
    first, *rest = inspect.cleandoc(help_text).partition("\f")[0].split("\n\n")
    parts: list[RenderableType] = [Text.from_markup(first.replace("\n", " ").strip(), emoji=False)]
    if rest:
        parts += [Text(""), Text.from_markup("\n\n".join(rest), style="dim", emoji=False)]
    return Group(*parts)


def _options(params: list[Parameter], ctx: Context) -> Table:
    """One row per option: long name, short name, value's kind (none for a flag), help."""
    table = _table()
    for style in (OPTION, SWITCH, TYPE):
        table.add_column(style=style, no_wrap=True)
    table.add_column(ratio=10)
    for param in params:
        if getattr(param, "hidden", False):
            continue
        names = [*param.opts, *param.secondary_opts]
        long = ",".join(o for o in names if o.startswith("--"))
        short = ",".join(o for o in names if not o.startswith("--"))
        kind = _kind(param, ctx)
        table.add_row(
            long, short, kind, Text.from_markup(getattr(param, "help", None) or "", emoji=False)
        )
    return table


def _kind(param: Parameter, ctx: Context) -> str:
    """The kind of value an option takes, as Typer shows it (`<int>`); none for a flag."""
    if isinstance(param, TyperOption | TyperArgument) and not getattr(param, "is_flag", False):
        return param.display_type_rich(ctx) or ""
    return ""


def _commands(commands: list[tuple[str, str]]) -> Table:
    """One row per command: its name and its summary."""
    table = _table()
    table.add_column(style=OPTION, no_wrap=True)
    table.add_column(ratio=10)
    for name, summary in commands:
        table.add_row(name, Text.from_markup(summary, emoji=False))
    return table


def _table() -> Table:
    return Table(show_header=False, expand=True, box=None, pad_edge=False, padding=(0, 1))


def _panel(title: str, table: Table) -> Panel:
    return Panel(table, border_style=BORDER, title=Text(title), title_align="left")
