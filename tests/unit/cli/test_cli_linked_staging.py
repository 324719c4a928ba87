"""A staging folder linked to a stranger's folder: reset and debug delete nothing there."""

from __future__ import annotations

from pathlib import Path


def _link_staging(project: Path, tmp_path: Path) -> Path:
    """`_hygge_staging/customers` linked to a stranger's folder holding a sub-folder."""
    stranger = tmp_path / "stranger"
    (stranger / "projects").mkdir(parents=True)
    (stranger / "projects" / "thesis.txt").write_text("precious")
    staging = project / "data" / "lake" / "_hygge_staging"
    staging.mkdir(parents=True)
    (staging / "customers").symlink_to(stranger)
    return stranger


def test_reset_deletes_nothing_through_a_staging_folder_that_is_a_symbolic_link(
    project, invoke, tmp_path
):
    stranger = _link_staging(project, tmp_path)

    result = invoke("reset", "-f", "sample", "-e", "customers", "--yes")

    assert (stranger / "projects" / "thesis.txt").read_text() == "precious"
    assert result.exit_code != 0
    assert "is a symbolic link" in " ".join(result.output.split())
    assert "unexpected" not in result.output


def test_debug_reports_a_staging_folder_that_is_a_symbolic_link(project, invoke, tmp_path, wide):
    stranger = _link_staging(project, tmp_path)

    result = invoke("debug")

    assert (stranger / "projects" / "thesis.txt").read_text() == "precious"
    assert "is a symbolic link" in " ".join(result.stdout.split())
    assert "belongs to no checkpoint" not in result.stdout


def _unlistable_staging(project: Path, monkeypatch) -> Path:
    """`_hygge_staging/customers` exists but this user may not list it (as with chmod 000)."""
    folder = project / "data" / "lake" / "_hygge_staging" / "customers"
    folder.mkdir(parents=True)
    listing = Path.iterdir

    def iterdir(self: Path):
        if self == folder:
            raise PermissionError(13, "Permission denied", str(self))
        return listing(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    return folder


def test_debug_reports_a_staging_folder_it_may_not_list(project, invoke, monkeypatch, wide):
    folder = _unlistable_staging(project, monkeypatch)

    result = invoke("debug")

    assert result.exit_code == 1, result.output
    assert f"staging folder {folder} cannot be listed (Permission denied)" in result.stdout
    assert "unexpected" not in result.output


def test_reset_names_a_staging_folder_it_may_not_list(project, invoke, monkeypatch):
    folder = _unlistable_staging(project, monkeypatch)

    result = invoke("reset", "-f", "sample", "-e", "customers", "--yes")

    assert result.exit_code != 0
    flat = " ".join(result.output.split())
    assert f"staging folder {folder} cannot be listed (Permission denied)" in flat
    assert "unexpected" not in flat
