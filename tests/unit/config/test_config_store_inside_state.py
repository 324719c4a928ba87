"""A store folder inside the workspace's state, journal or flows folder is refused at load."""

from __future__ import annotations

from pathlib import Path

import pytest

from hygge.config import load_workspace
from hygge.errors import ConfigError


@pytest.mark.parametrize(
    ("store", "entity", "inside"),
    [
        pytest.param(".hygge", "watermarks", ".hygge", id="the-state-folder"),
        pytest.param(".hygge/journal", "orders", ".hygge", id="the-journal-folder"),
        pytest.param("flows", "orders", "flows", id="the-flows-folder"),
    ],
)
def test_a_store_folder_inside_the_workspace_s_own_folders_is_refused(
    tmp_path: Path, store: str, entity: str, inside: str
) -> None:
    (tmp_path / "hygge.yml").write_text("name: t\n")
    flow = tmp_path / "flows" / "f"
    flow.mkdir(parents=True)
    (flow / "flow.yml").write_text(f"home: landing\nstore: '{store}'\nentities: [{entity}]\n")

    with pytest.raises(ConfigError) as raised:
        load_workspace(tmp_path, env={})

    message = str(raised.value)
    assert f"stores into '{store}/{entity}', inside the workspace's own folder" in message
    assert str(tmp_path / inside) in message
    assert "flows/f/flow.yml" in message
