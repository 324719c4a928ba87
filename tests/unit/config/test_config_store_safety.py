"""Paths that would let a store replace a home or system folder are refused at load."""

from __future__ import annotations

from pathlib import Path

import pytest

from hygge.config import load_workspace
from hygge.errors import ConfigError


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A temporary user home: HOME points at it (never the real home)."""
    folder = tmp_path / "home" / "me"
    (folder / "Documents").mkdir(parents=True)
    (folder / "Documents" / "letter.txt").write_text("dear")
    monkeypatch.setenv("HOME", str(folder))
    return folder


def _refusal(write_workspace, flow_yml: str, env: dict[str, str] | None = None) -> ConfigError:
    root = write_workspace({"flows/f/flow.yml": flow_yml})
    with pytest.raises(ConfigError) as raised:
        load_workspace(root, env=env or {})
    return raised.value


def test_a_store_path_of_tilde_without_entities_is_refused_not_expanded(write_workspace, home):
    error = _refusal(write_workspace, 'home: data/in\nstore: {type: parquet, path: "~"}\n')
    assert str(error).startswith(
        "flows/f/flow.yml line 2: store path '~' starts with '~'; hygge does not expand '~'"
    )
    assert "use ${HOME}/lake if you really mean a folder in your home" in str(error)
    assert (home / "Documents" / "letter.txt").exists()


@pytest.mark.parametrize("block", ["home", "store"])
def test_any_home_or_store_path_starting_with_tilde_is_refused(write_workspace, home, block):
    other = "store: lake" if block == "home" else "home: data/in"
    error = _refusal(write_workspace, f"{block}: ~/data\n{other}\nentities: [orders]\n")
    assert f"{block} path '~/data/orders' starts with '~'" in str(error)
    assert error.file == "flows/f/flow.yml"


def test_a_tilde_state_folder_is_refused(write_workspace, home):
    root = write_workspace(
        {
            "hygge.yml": "name: shop\nstate: {path: ~/state}\n",
            "flows/f/flow.yml": "home: a\nstore: b\n",
        }
    )
    with pytest.raises(ConfigError, match=r"hygge\.yml line 2: path '~/state' starts with '~'"):
        load_workspace(root, env={})


def test_home_variable_with_entities_is_refused_as_a_store_root(write_workspace, home):
    error = _refusal(
        write_workspace,
        "home: data/in\nstore: ${HOME}\nentities: [Documents]\n",
        env={"HOME": str(home)},
    )
    assert str(error).startswith(
        f"flows/f/flow.yml line 2: entity 'f.Documents' stores into '{home}/Documents', whose "
        f"store root {home} is your home folder"
    )
    assert (home / "Documents" / "letter.txt").exists()


def test_a_symlink_to_the_home_folder_is_refused_as_a_store(write_workspace, home, tmp_path):
    link = tmp_path / "innocent"
    link.symlink_to(home)
    error = _refusal(write_workspace, f"home: data/in\nstore: {link}\n")
    assert f"stores into '{link}', whose folder {home} is your home folder" in str(error)


def test_the_account_home_is_refused_even_when_home_is_set_elsewhere(write_workspace, tmp_path):
    import os
    import pwd

    account = pwd.getpwuid(os.getuid()).pw_dir
    env_home = tmp_path / "elsewhere"
    env_home.mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(env_home))
        error = _refusal(write_workspace, f"home: data/in\nstore: {account}\n")
    assert "is your home folder" in str(error)


@pytest.mark.parametrize(
    ("store", "reason"),
    [
        pytest.param("/", "the filesystem root", id="root"),
        pytest.param("/etc", "a system folder", id="etc"),
        pytest.param("/usr", "a system folder", id="usr"),
        pytest.param("/tmp", "a system folder", id="tmp"),
        pytest.param("/home", "a system folder", id="home"),
        pytest.param("/proc/self", "a system folder", id="under-proc"),
    ],
)
def test_system_folders_are_refused_as_stores(write_workspace, home, store, reason):
    error = _refusal(write_workspace, f"home: data/in\nstore: {store}\n")
    assert f"is {reason}; a store replaces what is in its folder" in str(error)


def test_a_parent_of_the_workspace_is_refused_as_a_store(write_workspace, home):
    error = _refusal(write_workspace, "home: data/in\nstore: ..\nentities: [orders]\n")
    assert "is a parent of the workspace root" in str(error)


def test_a_symlink_into_the_workspace_state_is_refused(write_workspace, home, tmp_path):
    root = write_workspace({"flows/f/flow.yml": "home: data/in\nstore: x\n"})
    (root / ".hygge").mkdir()
    link = tmp_path / "lake-link"
    link.symlink_to(root / ".hygge")
    (root / "flows/f/flow.yml").write_text(f"home: data/in\nstore: {link}\n")
    with pytest.raises(ConfigError, match="which holds the workspace's own folder"):
        load_workspace(root, env={})


def test_a_symlink_to_the_home_folder_of_the_entity_is_an_overlap(write_workspace, home, tmp_path):
    root = write_workspace({"flows/f/flow.yml": "home: data/in\nstore: lake\n"})
    (root / "data" / "in").mkdir(parents=True)
    (root / "lake").symlink_to(root / "data" / "in")
    with pytest.raises(ConfigError, match="are the same folder"):
        load_workspace(root, env={})


def test_two_store_paths_to_one_folder_through_a_symlink_are_refused(write_workspace, home):
    root = write_workspace(
        {
            "flows/a/flow.yml": "home: data/a\nstore: lake\n",
            "flows/b/flow.yml": "home: data/b\nstore: mirror\n",
        }
    )
    (root / "lake").mkdir()
    (root / "mirror").symlink_to(root / "lake")
    with pytest.raises(ConfigError, match=r"which is also the store folder of entity 'a\.a'"):
        load_workspace(root, env={})


def test_a_store_in_a_sub_folder_of_home_or_tmp_is_fine(write_workspace, home):
    root = write_workspace({"flows/f/flow.yml": "home: data/in\nstore: ${HOME}/lake\n"})
    entity = load_workspace(root, env={"HOME": str(home)}).entities[0]
    assert entity.store.path == f"{home}/lake"


def test_a_plugin_never_expands_tilde_even_without_the_loader(tmp_path, home):
    from hygge.types import Place

    with pytest.raises(ConfigError, match="starts with '~'; hygge does not expand '~'"):
        Place(tmp_path, "f", "orders").resolve("~/lake")
    with pytest.raises(ConfigError, match=r"substitutes only \$\{HOME\} \(with braces\)"):
        Place(tmp_path, "f", "orders").resolve("$HOME/lake")


@pytest.mark.parametrize(
    ("path", "name"),
    [("$HOME/lake", "$HOME"), ("$HOME", "$HOME"), ("/data/$USER/lake", "$USER")],
)
def test_a_store_path_with_a_shell_variable_without_braces_is_refused(
    write_workspace, home, path, name
):
    error = _refusal(write_workspace, f'home: data/in\nstore: {{type: parquet, path: "{path}"}}\n')
    assert str(error).startswith(
        f"flows/f/flow.yml line 2: store path '{path}' has a folder written '{name}'; hygge "
        f"substitutes only ${{{name[1:]}}} (with braces)"
    )
    assert not any(home.parent.rglob("$*"))


@pytest.mark.parametrize("block", ["home", "store"])
def test_any_home_or_store_path_with_a_dollar_folder_is_refused(write_workspace, home, block):
    other = "store: lake" if block == "home" else "home: data/in"
    error = _refusal(write_workspace, f"{block}: $DATA/in\n{other}\nentities: [orders]\n")
    assert f"{block} path '$DATA/in/orders' has a folder written '$DATA'" in str(error)


def test_a_state_folder_or_connection_root_with_a_dollar_folder_is_refused(write_workspace, home):
    state = write_workspace(
        {
            "hygge.yml": "name: shop\nstate: {path: $HOME/state}\n",
            "flows/f/flow.yml": "home: a\nstore: b\n",
        }
    )
    with pytest.raises(ConfigError, match=r"hygge\.yml line 2: path '\$HOME/state' has a folder"):
        load_workspace(state, env={})
    root = write_workspace(
        {
            "hygge.yml": "name: shop\nconnections:\n  st: {type: local, root: $HOME}\n",
            "flows/f/flow.yml": "home: a\nstore: {connection: st, path: lake}\n",
        }
    )
    with pytest.raises(ConfigError, match=r"root '\$HOME' has a folder written '\$HOME'"):
        load_workspace(root, env={})


@pytest.mark.parametrize("path", ["lake$1", "price$/lake", "a/b$c", "$${HOME}/lake", "${HOME}/x"])
def test_a_dollar_that_is_no_shell_variable_is_a_plain_character(write_workspace, home, path):
    root = write_workspace(
        {"flows/f/flow.yml": f'home: data/in\nstore: {{type: parquet, path: "{path}"}}\n'}
    )
    load_workspace(root, env={"HOME": str(home / "lakes")})
