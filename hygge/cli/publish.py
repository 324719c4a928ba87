"""`hygge publish FOLDER az://CONTAINER/PREFIX`: push a workspace's files to blob storage
(where `hygge go -w az://…` and the Functions app read it) and show what changed."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hygge.cli.console import VerboseOption, make_console, running_command
from hygge.config import load_workspace
from hygge.config.blob_workspace import open_blob_workspace
from hygge.config.publish import (
    PublishPlan,
    apply_publish,
    check_copy,
    check_flows_inside,
    plan_publish,
    workspace_files,
)
from hygge.config.publish_manifest import MANIFEST
from hygge.errors import ConfigError
from hygge.storage import Location, join_key


def publish_command(
    folder: Annotated[Path, typer.Argument(help="The local workspace folder (holding hygge.yml).")],
    target: Annotated[
        str,
        typer.Argument(
            metavar="az://CONTAINER/PREFIX",
            help="Where to publish: a container prefix, on the account HYGGE_STORAGE_CONNECTION "
            "or HYGGE_STORAGE_ACCOUNT_URL names.",
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; write nothing.")
    ] = False,
    verbose: VerboseOption = False,
) -> None:
    """Publish a workspace (hygge.yml and flows/**) to a blob container prefix; show what changed.

    The workspace is validated first, as the blob workspace it becomes. Only blobs an earlier
    publish wrote (its manifest) are replaced or removed. Exit code 0 when published, 1 when
    refused (blobs hygge did not publish, another publish under way), 2 for a configuration
    error.
    """
    out, err = make_console(), make_console(stderr=True)
    with running_command(err, verbose=verbose):
        location = Location.parse(target)
        if location.scheme != "az":
            raise ConfigError(
                f"'{target}' is no blob location; hygge publish writes to az://container/prefix",
                hint="e.g. hygge publish . az://config/shop",
            )
        root = folder.resolve()
        local = load_workspace(root)  # refuses a broken workspace with its local errors
        flows_dir = local.project.flows_dir.rstrip("/") or "/"
        check_flows_inside(root, flows_dir)
        files = workspace_files(root, flows_dir)
        env = dict(os.environ)
        destination = open_blob_workspace(location, env)
        check_copy(root, files, location, destination.connection, env)
        now = datetime.now(UTC)
        storage, prefix = destination.storage, destination.prefix
        plan = plan_publish(storage, prefix, files, now=now, host=socket.gethostname())
        _show_plan(out, root, plan, dry_run=dry_run)
        if dry_run:
            return
        apply_publish(storage, prefix, plan, files, now=now, source=str(root))
        out.print(
            f"Published: {_counts(plan)} (manifest {storage.describe(join_key(prefix, MANIFEST))})",
            markup=False,
        )


def _show_plan(out: Console, root: Path, plan: PublishPlan, *, dry_run: bool) -> None:
    verb = "Would publish" if dry_run else "Publishing"
    out.print(f"{verb} {root} to {plan.target}", markup=False)
    if plan.taken_over:
        out.print(f"  {plan.taken_over}", markup=False)
    for word, names in (
        ("added", plan.added),
        ("changed", plan.changed),
        ("removed", plan.removed),
    ):
        for name in names:
            out.print(f"  {word:<9} {name}", markup=False)
    if plan.unchanged:
        out.print(f"  unchanged {len(plan.unchanged)} file(s)", markup=False)
    if dry_run:
        out.print(f"Dry run: {_counts(plan)}; nothing was written", markup=False)


def _counts(plan: PublishPlan) -> str:
    return (
        f"{len(plan.added)} added, {len(plan.changed)} changed, {len(plan.removed)} removed, "
        f"{len(plan.unchanged)} unchanged"
    )
