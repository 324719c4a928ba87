"""`state.path` is refused at load where no state folder can be, naming the setting."""

from __future__ import annotations

import pytest

from hygge.config import load_workspace
from hygge.errors import ConfigError


def _workspace(tmp_path, path):
    (tmp_path / "hygge.yml").write_text(f"name: t\nstate: {{path: '{path}'}}\n")
    (tmp_path / "flows" / "f").mkdir(parents=True)
    (tmp_path / "flows" / "f" / "flow.yml").write_text("home: landing\nstore: lake\n")
    return tmp_path


def test_a_state_path_that_is_a_broken_link_is_refused_at_load(tmp_path):
    (tmp_path / "gone").symlink_to(tmp_path / "nowhere")

    with pytest.raises(ConfigError) as caught:
        load_workspace(_workspace(tmp_path, "gone"))

    message = str(caught.value)
    assert message.startswith("hygge.yml line 2: state.path 'gone': the state folder")
    assert "is a link to nothing" in message and "state: {path: ...}" in message


def test_a_state_path_of_the_workspace_root_is_refused_at_load(tmp_path):
    with pytest.raises(ConfigError, match=r"state\.path '\.': .* is the workspace root itself"):
        load_workspace(_workspace(tmp_path, "."))


def test_a_state_folder_not_there_yet_loads(tmp_path):
    workspace = load_workspace(_workspace(tmp_path, "state/deep"))

    assert workspace.state_dir == tmp_path.resolve() / "state" / "deep"
