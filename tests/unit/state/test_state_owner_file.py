"""The local state folder's owner record: relative inside the workspace, absolute outside."""

from __future__ import annotations

import json

import pytest

from hygge.errors import StateError
from hygge.state.base import StateOwner
from hygge.state.owner_file import read_owner, write_owner


def test_a_state_folder_inside_the_workspace_records_its_root_relative_to_itself(tmp_path):
    root = tmp_path / "ws"
    (root / ".hygge").mkdir(parents=True)

    write_owner(root / ".hygge", StateOwner.of("shop", root))

    assert json.loads((root / ".hygge" / "owner.json").read_text())["root"] == ".."


def test_a_state_folder_inside_the_workspace_moves_with_it(tmp_path):
    root = tmp_path / "ws"
    (root / "state" / "deep").mkdir(parents=True)
    write_owner(root / "state" / "deep", StateOwner.of("shop", root))
    moved = root.rename(tmp_path / "elsewhere")

    assert read_owner(moved / "state" / "deep") == StateOwner.of("shop", moved)


def test_a_state_folder_outside_the_workspace_records_the_absolute_root(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()

    write_owner(tmp_path / "shared", StateOwner.of("shop", root))

    assert read_owner(tmp_path / "shared") == StateOwner(name="shop", root=str(root.resolve()))


def test_a_damaged_owner_record_names_the_file_and_the_command_that_rewrites_it(tmp_path):
    (tmp_path / "owner.json").write_text("{not json")

    with pytest.raises(StateError) as caught:
        read_owner(tmp_path)

    message = str(caught.value)
    assert str(tmp_path / "owner.json") in message and "hygge adopt-state" in message
    assert "rm " not in message
