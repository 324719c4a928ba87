"""The state folder refuses names too long for the files it names after them."""

from __future__ import annotations

from pathlib import Path

import pytest

from hygge.errors import StateError
from hygge.state.base import Watermark
from hygge.state.layout import FILE_NAME_MAX_BYTES, MAX_NAME_BYTES
from hygge.state.local import LocalStateBackend


def test_a_name_over_the_limit_is_refused_before_any_file_is_written(tmp_path: Path) -> None:
    state = LocalStateBackend(tmp_path / ".hygge")

    with pytest.raises(StateError, match="is 101 bytes long; state file names allow at most 100"):
        state.set_watermark("flow", "e" * (MAX_NAME_BYTES + 1), Watermark(value=1))

    assert not (tmp_path / ".hygge").exists()


def test_the_longest_state_file_of_a_name_at_the_limit_fits_a_file_name(tmp_path: Path) -> None:
    state = LocalStateBackend(tmp_path / ".hygge")
    entity = "e" * MAX_NAME_BYTES
    pending = "0" * 12 + "-" + "0" * 6  # a run's margin as of a chunk: the longest suffix

    state.save_margin("f" * MAX_NAME_BYTES, entity, b"data", pending)

    [saved] = (tmp_path / ".hygge" / "margins" / ("f" * MAX_NAME_BYTES)).iterdir()
    temp = f".{saved.name}.{'0' * 12}.tmp"  # how write_atomic names it first
    assert len(temp.encode()) == MAX_NAME_BYTES + 46 <= FILE_NAME_MAX_BYTES
