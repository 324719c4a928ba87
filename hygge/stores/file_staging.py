"""Where a file store's run stages: `<parent>/_hygge_staging/<entity>/<run>/`, checked.

A checkpoint is a file anyone can edit, and staging is deleted after every run: hygge touches
only staging locations of the shape `prepare` makes, never through a symbolic link, and knows
a live staging by its open marker (`_hygge_staging_open`, holding the run id).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from hygge.errors import StateError
from hygge.io.patterns import short_run_id
from hygge.storage import ObjectStorage, join_key
from hygge.stores.base import Staging
from hygge.stores.file_marker import MARKER
from hygge.stores.file_publish import OPEN

STAGING_DIR = "_hygge_staging"
STAGING_MARKERS = (OPEN, MARKER)  # what makes a staging folder hygge's: delete them last
_MARKER_BYTES = 4096  # an open marker holds a run id; anything longer is not one


class FileStaging:
    """The staging checks of a file store (its `storage`, `staging_prefix`, `staging_root`)."""

    storage: ObjectStorage
    staging_prefix: str
    staging_root: Path | None  # the local folder of `staging_prefix`; None on object storage

    def refuse_linked_staging(self) -> None:
        """Staging is deleted after every run (and by reset): it must be a real folder here."""
        if self.staging_root is None:
            return  # object storage has no links
        for folder in (self.staging_root.parent, self.staging_root):
            if folder.is_symlink():
                raise StateError(
                    f"{folder} is a symbolic link (to {folder.readlink()}); hygge stages runs "
                    f"in it and deletes what it stages there, so it must be a real folder. "
                    f"Remove the link; hygge creates the folder itself"
                )

    def staging_key(self, staging: Staging) -> str:
        """The staging key, if it is one `prepare` makes: `…/_hygge_staging/<name>/<run>`.

        A checkpoint is a file anyone can edit; hygge deletes only its own staging folders.
        """
        location, root = staging.location, self.storage.local_path("")
        # Cached while the answer depends on the two names alone (not on the working folder).
        relative = (
            _relative_key if root is None or root.is_absolute() else _relative_key.__wrapped__
        )
        location = relative(location, root)
        if location.rpartition("/")[0] != self.staging_prefix or not location:
            raise StateError(
                f"staging location {staging.location} of run {staging.run_id} is not a staging "
                f"folder hygge made (<store>/{STAGING_DIR}/<entity>/<run>, no symbolic links); "
                "hygge deletes nothing there. Delete the entity's checkpoint file in the state "
                "folder (.hygge/checkpoints/<flow>/<entity>.json) if you edited it"
            )
        self.refuse_linked_staging()
        return location

    def is_staged_set(self, location: str, staging: Staging) -> bool:
        """True if `location` holds the staging `prepare` made for this run (its open marker)."""
        marker = join_key(location, OPEN)
        if self.storage.stat(marker) is None:
            return self._legacy_staged_set(location, staging)
        with self.storage.open_read(marker) as handle:
            return handle.read() == staging.run_id.encode()

    def made_staging_folder(self, folder: Path) -> bool:
        """True if `folder`, under the local staging root, holds what `prepare` writes (or
        nothing): a run folder its open marker naming that run, an `.old` aside (a published
        folder moved there) the store or open marker it kept. Its name alone proves nothing."""
        if next(folder.iterdir(), None) is None:
            return True
        if folder.name.endswith(".old"):
            return any(_is_file(folder / name) for name in STAGING_MARKERS)
        marker = folder / OPEN
        if not _is_file(marker) or marker.stat().st_size > _MARKER_BYTES:
            return False
        run_id = marker.read_bytes().decode("utf-8", errors="replace").strip()
        return short_run_id(run_id, length=64) == folder.name

    def _legacy_staged_set(self, location: str, staging: Staging) -> bool:
        """A checkpoint from before open markers: its folder's inode (renames keep it)."""
        folder, extra = self.storage.local_path(location), staging.extra
        if folder is None or "inode" not in extra:
            return False
        try:
            stat = folder.stat()
        except FileNotFoundError:
            return False
        return (stat.st_dev, stat.st_ino) == (extra.get("device"), extra.get("inode"))

    def live_staging(self, staging: Staging) -> str:
        location = self.staging_key(staging)
        if not self.is_staged_set(location, staging):
            raise StateError(
                f"staging folder {self.storage.describe(location)} of run {staging.run_id} is "
                "missing (aborted or published already); start a new run"
            )
        return location


@functools.lru_cache(maxsize=256)
def _relative_key(location: str, root: Path | None) -> str:
    """`location` as a key of the storage rooted at `root` ("" when outside it), asked ~8
    times per run of the same staging."""
    if root is not None and Path(location).is_absolute():
        relative = os.path.relpath(location, root)
        return "" if relative.startswith("..") else Path(relative).as_posix()
    return location


def _is_file(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()
