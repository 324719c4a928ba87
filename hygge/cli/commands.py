"""The command table: each command's module is imported only when that command runs.

`hygge --help` lists the commands from their summaries here, and `hygge --version` answers
from the group's own option, so neither imports the engine, the config models or a data
library. `hygge go` imports `hygge.cli.go` (and what it needs), nothing of `hygge journal`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperGroup

from hygge.cli.collection import resume_collection

if TYPE_CHECKING:
    from collections.abc import Callable

    from typer._click import Command, Context, HelpFormatter


@dataclass(frozen=True)
class CommandEntry:
    """Where a command lives, and its summary for `hygge --help` (its docstring's first
    paragraph: tests/unit/cli/test_cli_start_up.py keeps the two equal)."""

    module: str
    function: str
    summary: str


COMMANDS: dict[str, CommandEntry] = {
    "init": CommandEntry(
        "hygge.cli.init",
        "init_command",
        "Create a project with a sample flow and sample data, ready for `hygge go`.",
    ),
    "go": CommandEntry(
        "hygge.cli.go",
        "go_command",
        "Move data: run all entities, or the selected flows and entities.",
    ),
    "list": CommandEntry(
        "hygge.cli.listing",
        "list_command",
        "List flows and entities: home → store, run type and watermark column.",
    ),
    "journal": CommandEntry(
        "hygge.cli.journal",
        "journal_command",
        "Show recent entity runs, newest first: status, rows, duration, window and message.",
    ),
    "reset": CommandEntry(
        "hygge.cli.reset",
        "reset_command",
        "Forget watermarks, loaded-file records and interrupted runs: the next run reloads fully.",
    ),
    "unlock": CommandEntry(
        "hygge.cli.unlock",
        "unlock_command",
        "Remove an entity's lock once the run holding it is gone.",
    ),
    "debug": CommandEntry(
        "hygge.cli.debug",
        "debug_command",
        "Check the workspace: config, every home and store, the state folder, locks.",
    ),
    "schema": CommandEntry(
        "hygge.cli.schema",
        "schema_command",
        "Print a JSON Schema, or write the schema files for editor completion and validation.",
    ),
    "publish": CommandEntry(
        "hygge.cli.publish",
        "publish_command",
        "Publish a workspace (hygge.yml and flows/**) to a blob container prefix; show what "
        "changed.",
    ),
    "adopt-state": CommandEntry(
        "hygge.cli.adopt",
        "adopt_state_command",
        "Make this workspace the owner of its state folder, e.g. after the workspace moved.",
    ),
}


def command_function(name: str) -> Callable[..., Any]:
    """The function behind command `name` (its module imported now)."""
    entry = COMMANDS[name]
    function: Callable[..., Any] = getattr(import_module(entry.module), entry.function)
    return function


def build_command(name: str) -> Command:
    """Command `name` as Typer builds it from the function's signature."""
    single = typer.Typer(rich_markup_mode="rich", add_completion=False)
    single.command(name)(command_function(name))
    command = typer.main.get_command(single)
    if command.help:
        # Rich keeps a docstring's single line breaks: join each paragraph's lines so the
        # help is filled to the terminal's width, not broken where the source lines end.
        command.help = "\n\n".join(" ".join(p.split()) for p in command.help.split("\n\n"))
    return command


@contextmanager
def interrupted_while_starting() -> Iterator[None]:
    """Ctrl-C while the options are parsed and a command is imported and built (before the
    command's own handler is in place) gets one line and exit 130, as during the imports of
    `hygge.cli.app`; Typer would exit 130 without a word."""
    try:
        yield
    except KeyboardInterrupt:
        sys.stderr.write("hygge: interrupted while starting; nothing was done\n")
        raise SystemExit(130) from None


class CommandsOnDemand(MutableMapping[str, "Command"]):
    """Every command of `COMMANDS` by name; a command is built when it is first looked up."""

    def __init__(self) -> None:
        self._built: dict[str, Command] = {}

    def __getitem__(self, name: str) -> Command:
        if name not in self._built:
            if name not in COMMANDS:
                raise KeyError(name)
            self._built[name] = build_command(name)
        return self._built[name]

    def __setitem__(self, name: str, command: Command) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        del self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*COMMANDS, *self._built]))

    def __len__(self) -> int:
        return len(set(COMMANDS) | set(self._built))


class LazyCommands(TyperGroup):
    """hygge's group: a command is built (its module imported) when it is looked up to run or
    to print its own help; the group's help (`hygge.cli.group_help`) shows the summaries of
    `COMMANDS` instead."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = CommandsOnDemand()

    def list_commands(self, ctx: Context) -> list[str]:
        return list(self.commands)

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        return self.commands.get(cmd_name)

    def resolve_command(
        self, ctx: Context, args: list[str]
    ) -> tuple[str | None, Command | None, list[str]]:
        found = super().resolve_command(ctx, args)
        resume_collection()  # the command is imported: its work collects as usual
        return found

    def make_context(
        self, info_name: str | None, args: list[str], parent: Context | None = None, **extra: Any
    ) -> Context:
        with interrupted_while_starting():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: Context) -> Any:
        with interrupted_while_starting():
            return super().invoke(ctx)

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        from hygge.cli.group_help import print_group_help

        print_group_help(self, ctx, [(name, self._summary(ctx, name)) for name in self.commands])

    def _summary(self, ctx: Context, name: str) -> str:
        if name in COMMANDS:
            return COMMANDS[name].summary
        command = self.commands[name]
        return command.get_short_help_str(limit=200)
