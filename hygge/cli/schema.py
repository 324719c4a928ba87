"""`hygge schema`: the JSON Schemas of hygge.yml, flow.yml and entity files, for editors."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from hygge.cli.console import VerboseOption, make_console, running_command
from hygge.config.schema import workspace_json_schema


class SchemaKind(StrEnum):
    PROJECT = "project"
    FLOW = "flow"
    ENTITY = "entity"


def schema_file_name(kind: SchemaKind) -> str:
    return f"{kind.value}.schema.json"


def write_schemas(folder: Path, kinds: tuple[SchemaKind, ...] = tuple(SchemaKind)) -> list[Path]:
    """Write `<kind>.schema.json` for each kind into `folder`; return the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in kinds:
        path = folder / schema_file_name(kind)
        path.write_text(_dumps(kind), encoding="utf-8")
        written.append(path)
    return written


def schema_command(
    kind: Annotated[
        SchemaKind | None,
        typer.Argument(
            help="Which file's schema: project (hygge.yml), flow (flow.yml) or entity. "
            "Default: project, or all three with --output.",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            file_okay=False,
            help="Write <kind>.schema.json files into this folder instead of printing.",
            show_default=False,
        ),
    ] = None,
    verbose: VerboseOption = False,
) -> None:
    """Print a JSON Schema, or write the schema files for editor completion and validation.

    Point an editor at them with a first line like
    `# yaml-language-server: $schema=schemas/project.schema.json`.
    """
    out, err = make_console(), make_console(stderr=True)
    with running_command(err, verbose=verbose):
        if output is None:
            # Plain write: JSON for pipes must not be re-wrapped or highlighted.
            typer.echo(_dumps(kind or SchemaKind.PROJECT))
            return
        kinds = (kind,) if kind else tuple(SchemaKind)
        for path in write_schemas(output, kinds):
            out.print(f"wrote {path}", markup=False)


def _dumps(kind: SchemaKind) -> str:
    return json.dumps(workspace_json_schema(kind.value), indent=2, sort_keys=False) + "\n"
