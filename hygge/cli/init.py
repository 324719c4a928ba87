"""`hygge init`: a new project that runs as is, with its own sample landing zone."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import Annotated

import typer

from hygge.cli.console import VerboseOption, make_console, running_command
from hygge.cli.sample_data import ENTITIES, write_sample_landing
from hygge.cli.schema import SchemaKind, schema_file_name, write_schemas
from hygge.errors import ConfigError, HyggeError

SAMPLE_ORDERS = 2_000
SCHEMA_DIR = "schemas"
LANDING_DIR = "data/landing"

_PROJECT = """\
# yaml-language-server: $schema={schema}
# The hygge project. Each folder under {flows_dir}/ is a flow: a home (where data lives),
# a store (where it goes) and its entities. Run everything with `hygge go`.
name: {name}
flows_dir: {flows_dir}
options:
  concurrency: 4          # entities moved at once
  continue_on_error: true # one failing entity does not stop the others
"""

_FLOW = """\
# yaml-language-server: $schema={schema}
# CSV files that land in {landing}/<entity>/ move to a parquet lake in data/lake/<entity>/.
# Each file in entities/ is one entity and may override anything set here.
home:
  type: local
  path: {landing}
  format: csv
store:
  type: parquet
  path: data/lake
run_type: full_drop
"""

_CUSTOMERS = """\
# yaml-language-server: $schema={schema}
# Replaced in full on every run, with last-mile clean-up (polish) on the way.
name: customers
polish:
  hash_ids:
    - name: customer_key          # a stable id from the business key
      from_columns: [customer_id]
  constants:
    - name: source_system
      value: webshop
  timestamps:
    - name: loaded_at             # when this run loaded the row (UTC)
"""

_ORDERS = """\
# yaml-language-server: $schema={schema}
# Incremental: each run appends only rows newer than the last watermark.
name: orders
run_type: incremental
watermark:
  column: updated_at
  key_columns: [order_id]
"""

_ORDER_LINES = """\
# yaml-language-server: $schema={schema}
# The same flow, but this entity's landing files are parquet.
name: order_lines
home:
  format: parquet
"""

_GITIGNORE = """\
# hygge state (watermarks, checkpoints, locks, journal) and the sample data
.hygge/
data/
"""

_README = """\
# {name}

A hygge project. Try:

    hygge list              # flows and entities
    hygge go --dry-run      # what would move, moving nothing
    hygge go                # move everything
    hygge journal           # what the runs did

The sample flow `{flows_dir}/sample` moves the generated files in `{landing}/` to
`data/lake/`. Regenerate the schemas for your editor with `hygge schema --output {schemas}`.
"""

_ENTITY_FILES = {"customers": _CUSTOMERS, "orders": _ORDERS, "order_lines": _ORDER_LINES}


def init_command(
    name: Annotated[
        str,
        typer.Argument(metavar="NAME", help="Folder to create; its name is the project name."),
    ],
    flows_dir: Annotated[
        str, typer.Option("--flows-dir", help="Folder, inside the project, holding the flows.")
    ] = "flows",
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Write into an existing non-empty folder (same names are overwritten)."
        ),
    ] = False,
    verbose: VerboseOption = False,
) -> None:
    """Create a project with a sample flow and sample data, ready for `hygge go`."""
    out, err = make_console(), make_console(stderr=True)
    with running_command(err, verbose=verbose):
        root = Path(name)
        written = scaffold_project(root, flows_dir=flows_dir, force=force)
        out.print(f"Created project '{root.resolve().name}' in {root}:", markup=False)
        for path in written:
            out.print(f"  {path.relative_to(root).as_posix()}", markup=False)
        out.print(f"\nNext:\n  cd {name}\n  hygge go", markup=False)


def scaffold_project(root: Path, *, flows_dir: str = "flows", force: bool = False) -> list[Path]:
    """Write the project files and sample data under `root`; return what was written."""
    _check_flows_dir(flows_dir)
    if root.exists() and not root.is_dir():
        raise HyggeError(f"{root} exists and is not a folder; choose another project name")
    if root.is_dir() and any(root.iterdir()) and not force:
        raise HyggeError(
            f"folder {root} exists and is not empty; use --force to create the project in it "
            "anyway (files with the same names are overwritten)"
        )
    flow_dir = root / flows_dir / "sample"
    files = {
        root / "hygge.yml": _PROJECT.format(
            schema=_schema_ref(root, root, SchemaKind.PROJECT),
            name=root.resolve().name,
            flows_dir=flows_dir,
        ),
        flow_dir / "flow.yml": _FLOW.format(
            schema=_schema_ref(root, flow_dir, SchemaKind.FLOW), landing=LANDING_DIR
        ),
        root / ".gitignore": _GITIGNORE,
        root / "README.md": _README.format(
            name=root.resolve().name, flows_dir=flows_dir, landing=LANDING_DIR, schemas=SCHEMA_DIR
        ),
    }
    for entity, template in _ENTITY_FILES.items():
        entity_dir = flow_dir / "entities"
        files[entity_dir / f"{entity}.yml"] = template.format(
            schema=_schema_ref(root, entity_dir, SchemaKind.ENTITY)
        )
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    written = [*files, *write_schemas(root / SCHEMA_DIR)]
    landing = root / LANDING_DIR
    if not any((landing / entity).exists() for entity in ENTITIES):
        write_sample_landing(landing, SAMPLE_ORDERS)
        written.extend(landing / entity for entity in ENTITIES)
    return written


def _schema_ref(root: Path, from_dir: Path, kind: SchemaKind) -> str:
    """The schema file's path relative to the YAML file's folder, as editors expect."""
    relative = os.path.relpath(root / SCHEMA_DIR / schema_file_name(kind), from_dir)
    return PurePosixPath(*Path(relative).parts).as_posix()


def _check_flows_dir(flows_dir: str) -> None:
    path = PurePosixPath(flows_dir.replace("\\", "/"))
    if not flows_dir.strip() or path.is_absolute() or ".." in path.parts:
        raise ConfigError(
            f"--flows-dir must be a folder inside the project, got '{flows_dir}'",
            hint="for example: --flows-dir flows",
        )
