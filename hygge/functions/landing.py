"""Blob arrivals on the landing container: which entities a new blob is for, and which blobs
are never followed.

A blob is for an entity when the entity's home is a file home on an `azure_blob` connection
whose container is the landing container, and the blob's key is the home's path or lies under
it. Hostile or foreign keys are refused with the reason (the starter logs it and ignores the
blob): `..` or `.` parts, an absolute or empty part, backslashes, percent-encodings, control
characters, text that is not NFC Unicode, and names starting with `_` or `.` (hygge's own
`_staging`/`_tmp` names and tools' metadata, which file homes skip too).

While a landing run of an entity is active, an arrival raises the event `LANDING_EVENT` on
it (data: the blob key) instead of starting a second run, and an arrival after it ended starts
it again. `run_workspace` listens for the event during its pass and, if any came, continues
as new for one more pass, so a burst of arrivals coalesces into one extra pass. No file is lost
either way: the blob stays in the landing container and the entity's next run reads every file
its ledger has not loaded.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hygge.config import Workspace

LANDING_EVENT = "hygge_landing_arrived"
"""The external event a running landing run receives for each later arrival (data: its key)."""
LANDING_PREFIX = "hygge-landing-"
MAX_KEY = 1024  # Azure's limit on a blob name
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class LandingHome:
    """An entity whose home reads from the landing container, at `prefix` (no slashes at the
    ends; "" is the whole container)."""

    flow: str
    entity: str
    prefix: str

    @property
    def qualified_name(self) -> str:
        return f"{self.flow}.{self.entity}"

    def covers(self, key: str) -> bool:
        return not self.prefix or key == self.prefix or key.startswith(self.prefix + "/")


def landing_instance_id(qualified_name: str) -> str:
    """The singleton orchestration instance of one entity's landing runs."""
    return f"{LANDING_PREFIX}{qualified_name}"


def landing_key(name: str, container: str) -> tuple[str | None, str]:
    """(key in the landing container, "") for a blob name the trigger gives (`container/key`
    or `key`), or (None, why it is ignored)."""
    if not name:
        return None, "the blob has no name"
    if len(name) > MAX_KEY + len(container) + 1:
        return None, "the name is longer than Azure allows"
    if name.startswith("/"):
        return None, "the name is absolute"
    first, _, rest = name.partition("/")
    key = rest if first == container and rest else name
    return _check_key(key)


def _check_key(key: str) -> tuple[str | None, str]:
    why = _why_refused(key)
    return (None, why) if why else (key, "")


def _why_refused(key: str) -> str:
    checks = (
        ("\\" in key, "the name holds a backslash"),
        ("%" in key, "the name holds a percent-encoding"),
        (bool(_CONTROL.search(key)), "the name holds a control character"),
        (unicodedata.normalize("NFC", key) != key, "the name is not NFC-normalised Unicode"),
    )
    for failed, why in checks:
        if failed:
            return why
    for part in key.split("/"):
        if part in ("", ".", ".."):
            return f"the name has an empty, '.' or '..' part ({key!r})"
        if part[0] in "_.":
            return f"'{part}' is a hidden or staging name (starts with '{part[0]}')"
    return ""


def entities_for_key(homes: Sequence[LandingHome], key: str) -> list[LandingHome]:
    """The landing homes covering `key`, in workspace order."""
    return [home for home in homes if home.covers(key)]


def landing_homes(workspace: Workspace, container: str) -> list[LandingHome]:
    """The workspace's entities whose file home is in `container` on a blob connection."""
    from hygge.connections import AzureBlobConnection
    from hygge.homes.files import LocalHomeConfig

    homes: list[LandingHome] = []
    connections = workspace.project.connections
    for entity in workspace.entities:
        home = entity.home
        if not isinstance(home, LocalHomeConfig) or home.connection is None:
            continue
        connection = connections.get(home.connection)
        if isinstance(connection, AzureBlobConnection) and connection.container == container:
            homes.append(LandingHome(entity.flow, entity.name, home.path.strip("/")))
    return homes
