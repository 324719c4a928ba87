"""hygge.yml `state:`: which StateBackend a workspace keeps its state in, and the factory.

`state` is a tagged union on `type`; a block without `type` is `local` (what hygge.yml meant
before the key had types). A new backend (issue 9's `azure_blob`) is one more config model
with an `open` method, added to `StateConfigUnion`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, TypeAlias

from pydantic import Discriminator, Field, Tag

from hygge.state.base import StateBackend
from hygge.state.clock import Clock
from hygge.types import Strict

DEFAULT_STATE_TYPE = "local"


class LocalStateConfig(Strict):
    """`state: {type: local, path: .hygge}`: a folder under the workspace root."""

    type: Literal["local"] = "local"
    path: str = Field(".hygge", description="State folder, relative to the workspace root.")

    def open(
        self, root: Path, *, clock: Clock, host: str, journal_dir: Path | None = None
    ) -> StateBackend:
        """The backend over `<root>/<path>`; `journal_dir` is hygge.yml's `journal.path`."""
        from hygge.state.local import LocalStateBackend  # polars only when state is opened

        folder = Path(self.path)
        state_dir = folder if folder.is_absolute() else root / folder
        return LocalStateBackend(state_dir, journal_dir, clock=clock, host=host)


def _state_type(value: object) -> str:
    """The block's tag; what is no mapping goes to `local`, which says it must be one."""
    if isinstance(value, dict):
        return str(value.get("type", DEFAULT_STATE_TYPE))
    return str(getattr(value, "type", DEFAULT_STATE_TYPE))


StateConfigUnion: TypeAlias = Annotated[
    Annotated[LocalStateConfig, Tag("local")], Discriminator(_state_type)
]


def open_state(
    config: StateConfigUnion,
    root: Path,
    *,
    clock: Clock,
    host: str,
    journal_dir: Path | None = None,
) -> StateBackend:
    """The StateBackend hygge.yml's `state:` names, for the workspace at `root`.

    `clock` and `host` are the driver's: lock heartbeats and takeovers read them.
    """
    return config.open(root, clock=clock, host=host, journal_dir=journal_dir)
