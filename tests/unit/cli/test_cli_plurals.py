"""Output counts in words: one entity, one file and one row are singular."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from hygge.engine.batches import from_json_scalar
from hygge.errors import DataError

Invoke = Callable[..., Result]


@pytest.fixture
def one_of_each(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """One flow, one entity, one file holding one row."""
    (tmp_path / "hygge.yml").write_text("name: shop\n")
    (tmp_path / "flows" / "sales").mkdir(parents=True)
    (tmp_path / "flows" / "sales" / "flow.yml").write_text(
        "home: {type: local, path: landing, format: csv}\nstore: lake\nentities: [orders]\n"
    )
    (tmp_path / "landing" / "orders").mkdir(parents=True)
    (tmp_path / "landing" / "orders" / "a.csv").write_text("id\n1\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_list_counts_one_flow_and_one_entity(one_of_each, invoke):
    result = invoke("list")

    assert "1 flow, 1 entity. Run them" in result.stdout


def test_go_counts_one_entity_one_file_and_one_row(one_of_each, invoke):
    result = invoke("go")

    assert result.exit_code == 0, result.output
    assert "hygge: shop: 1 entity, concurrency" in result.stdout
    assert re.search(r"start\s+sales\.orders\s+full_drop\s+\(1 file\)", result.stdout)
    assert re.search(r"success\s+sales\.orders\s+1 row in", result.stdout)
    assert re.search(
        r"Done\. 1 succeeded, 0 skipped, 0 failed in \d+\.\d s \(1 row\)", result.stdout
    )


def test_a_value_that_is_not_an_int_says_an_int():
    with pytest.raises(DataError, match="watermark value 'A-1' is not an int "):
        from_json_scalar("A-1", "int")
