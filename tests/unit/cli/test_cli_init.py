"""`hygge init`: a project that runs as is, and never clobbers a folder by accident."""

from __future__ import annotations

import json

import yaml


def test_init_scaffolds_a_project_with_flow_entities_schemas_and_sample_data(
    tmp_path, invoke, monkeypatch
):
    monkeypatch.chdir(tmp_path)

    result = invoke("init", "shop")

    assert result.exit_code == 0, result.output
    root = tmp_path / "shop"
    project = yaml.safe_load((root / "hygge.yml").read_text())
    assert project["name"] == "shop"
    assert project["flows_dir"] == "flows"
    flow = yaml.safe_load((root / "flows/sample/flow.yml").read_text())
    assert flow["home"] == {"type": "local", "path": "data/landing", "format": "csv"}
    assert flow["store"]["type"] == "parquet"
    entities = sorted(p.stem for p in (root / "flows/sample/entities").glob("*.yml"))
    assert entities == ["customers", "order_lines", "orders"]
    assert "polish" in yaml.safe_load((root / "flows/sample/entities/customers.yml").read_text())
    assert list((root / "data/landing/customers").glob("*.csv"))
    assert list((root / "data/landing/order_lines").glob("*.parquet"))
    for kind in ("project", "flow", "entity"):
        schema = json.loads((root / f"schemas/{kind}.schema.json").read_text())
        assert schema.get("properties") or schema.get("$defs")
    assert "cd shop" in result.stdout


def test_init_points_each_yaml_file_at_its_schema_with_a_relative_path(
    tmp_path, invoke, monkeypatch
):
    monkeypatch.chdir(tmp_path)

    invoke("init", "shop", "--flows-dir", "pipelines")

    root = tmp_path / "shop"
    for file, kind in [
        ("hygge.yml", "project"),
        ("pipelines/sample/flow.yml", "flow"),
        ("pipelines/sample/entities/orders.yml", "entity"),
    ]:
        first = (root / file).read_text().splitlines()[0]
        prefix = "# yaml-language-server: $schema="
        assert first.startswith(prefix)
        target = (root / file).parent / first.removeprefix(prefix)
        assert target.resolve() == (root / "schemas" / f"{kind}.schema.json").resolve()
    assert yaml.safe_load((root / "hygge.yml").read_text())["flows_dir"] == "pipelines"


def test_init_refuses_a_non_empty_folder_without_force(tmp_path, invoke, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "notes.txt").write_text("mine")

    result = invoke("init", "shop")

    assert result.exit_code == 1
    assert "--force" in result.stderr
    assert sorted(p.name for p in (tmp_path / "shop").iterdir()) == ["notes.txt"]


def test_init_with_force_writes_into_a_non_empty_folder_and_keeps_other_files(
    tmp_path, invoke, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "notes.txt").write_text("mine")

    result = invoke("init", "shop", "--force")

    assert result.exit_code == 0, result.output
    assert (tmp_path / "shop" / "notes.txt").read_text() == "mine"
    assert (tmp_path / "shop" / "hygge.yml").exists()


def test_init_again_with_force_keeps_the_existing_sample_data(project, invoke, monkeypatch):
    before = sorted(p.name for p in (project / "data/landing/orders").iterdir())
    monkeypatch.chdir(project.parent)

    result = invoke("init", "shop", "--force")

    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (project / "data/landing/orders").iterdir()) == before


def test_init_rejects_a_flows_dir_outside_the_project(tmp_path, invoke, monkeypatch):
    monkeypatch.chdir(tmp_path)

    result = invoke("init", "shop", "--flows-dir", "../elsewhere")

    assert result.exit_code == 2
    assert "Configuration error: --flows-dir must be a folder inside the project" in result.stderr
    assert not (tmp_path / "shop").exists()
