"""`-w/--workspace` (or HYGGE_WORKSPACE): which workspace a command loads.

Without it, the nearest hygge.yml at or above the current folder. With it, the folder it
names, or a workspace in Azure blob storage (`az://<container>/<prefix>`, on the account
HYGGE_STORAGE_CONNECTION or HYGGE_STORAGE_ACCOUNT_URL names).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import typer

from hygge.config import Workspace, load_workspace

WORKSPACE_VARIABLE = "HYGGE_WORKSPACE"

WorkspaceOption = Annotated[
    str | None,
    typer.Option(
        "--workspace",
        "-w",
        envvar=WORKSPACE_VARIABLE,
        metavar="FOLDER|az://CONTAINER/PREFIX",
        help="The workspace: a folder, or az://container/prefix in blob storage (account from "
        "HYGGE_STORAGE_CONNECTION or HYGGE_STORAGE_ACCOUNT_URL). Default: the nearest "
        "hygge.yml at or above the current folder.",
        show_default=False,
    ),
]


def load_chosen_workspace(where: str | None, overrides: Sequence[str] = ()) -> Workspace:
    """The workspace `-w` names, or the one found from the current folder."""
    if where is None or not where.strip():
        return load_workspace(overrides=overrides)
    return load_workspace(source=where.strip(), overrides=overrides)
