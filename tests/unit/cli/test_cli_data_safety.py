"""The CLI refuses to touch store folders hygge does not own, and says so before any run."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from hygge.stores.file_marker import MARKER


@pytest.fixture
def stranger(project) -> Path:
    """data/lake/orders holds someone else's files before hygge ever ran."""
    folder = project / "data" / "lake" / "orders"
    folder.mkdir(parents=True)
    for name in ("budget.xlsx", "letter.txt", "photo.jpg"):
        (folder / name).write_text("not hygge's")
    return folder


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_go_refuses_a_stranger_folder_and_leaves_it_untouched(project, invoke, stranger, wide):
    result = invoke("go")

    assert result.exit_code == 1
    assert (
        f"store folder {stranger} already holds 3 entries that hygge did not write "
        "(budget.xlsx, letter.txt, photo.jpg)"
    ) in result.output
    assert _files(stranger) == ["budget.xlsx", "letter.txt", "photo.jpg"]
    assert not (project / "data" / "lake" / "_hygge_staging").exists()
    assert (project / "data" / "lake" / "customers" / MARKER).is_file()  # the others ran


def test_dry_run_reports_a_stranger_folder_as_a_problem_and_exits_1(
    project, invoke, stranger, wide
):
    result = invoke("go", "--dry-run")

    assert result.exit_code == 1
    assert "already holds 3 entries that hygge did not write" in result.output
    assert "adopt_existing: true" in result.output
    assert _files(stranger) == ["budget.xlsx", "letter.txt", "photo.jpg"]


def test_debug_reports_a_stranger_folder_instead_of_a_tick(project, invoke, stranger, wide):
    result = invoke("debug")

    assert result.exit_code == 1
    assert "✗ sample.orders" in result.stdout
    assert "✓ sample.orders" not in result.stdout
    assert f"store: store folder {stranger} already holds 3 entries" in result.stdout


def test_adopt_existing_lets_a_run_take_over_the_folder(project, invoke, stranger):
    result = invoke("go", "-e", "sample.orders", "--var", "flow.sample.store.adopt_existing=true")

    assert result.exit_code == 0, result.output
    assert (stranger / MARKER).is_file()
    assert pl.read_parquet(stranger / "*.parquet").height > 0
    assert (stranger / "letter.txt").exists()  # orders is incremental: it adds, never replaces
    assert invoke("go", "-e", "sample.orders").exit_code == 0  # owned from now on


def test_adopt_existing_on_a_full_drop_entity_replaces_the_folder(project, invoke):
    customers = project / "data" / "lake" / "customers"
    customers.mkdir(parents=True)
    (customers / "old.parquet").write_text("an older tool's output")
    adopt = "flow.sample.store.adopt_existing=true"

    result = invoke("go", "-e", "sample.customers", "--var", adopt)

    assert result.exit_code == 0, result.output
    assert not (customers / "old.parquet").exists()
    assert (customers / MARKER).is_file()


def test_a_folder_hygge_published_keeps_working_run_after_run(project, invoke):
    assert invoke("go").exit_code == 0
    assert invoke("go", "--full-drop").exit_code == 0
    assert invoke("debug").exit_code == 0


def test_reset_refuses_an_entity_whose_store_folder_is_a_stranger(project, invoke, wide):
    assert invoke("go").exit_code == 0
    orders = project / "data" / "lake" / "orders"
    (orders / MARKER).unlink()  # as if written by an older hygge or by hand

    result = invoke("reset", "-f", "sample", "--yes")

    assert result.exit_code == 1
    assert "cannot reset sample." in result.stderr
    assert f"store folder {orders} already holds" in result.stderr
    assert "Nothing was reset" in result.stderr
    assert (project / ".hygge" / "watermarks" / "sample" / "orders.json").exists()


@pytest.mark.parametrize("command", [("go", "--dry-run"), ("debug",), ("go",)])
def test_a_tilde_store_without_entities_is_refused_by_every_command(
    project, invoke, tmp_path, monkeypatch, command
):
    home = tmp_path / "home"
    (home / "Documents").mkdir(parents=True)
    (home / "Documents" / "letter.txt").write_text("dear")
    monkeypatch.setenv("HOME", str(home))
    flow = project / "flows" / "risky" / "flow.yml"
    flow.parent.mkdir()
    flow.write_text('home: data/landing/customers\nstore: {type: parquet, path: "~"}\n')

    result = invoke(*command)

    assert result.exit_code == 2
    assert "flows/risky/flow.yml line 2: store path '~' starts with '~'" in result.stderr
    assert sorted(p.name for p in home.rglob("*")) == ["Documents", "letter.txt"]
