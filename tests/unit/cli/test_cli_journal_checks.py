"""`hygge journal` with names the workspace does not know, and with a damaged journal file."""

from __future__ import annotations

import json


def test_journal_rejects_an_unknown_flow_with_a_did_you_mean_and_exit_2(project, invoke):
    result = invoke("journal", "-f", "sampel")

    assert result.exit_code == 2, result.output
    assert "unknown flow 'sampel' (did you mean 'sample'?)" in result.stderr
    assert result.stdout == ""


def test_journal_rejects_an_unknown_entity_with_a_did_you_mean_and_exit_2(project, invoke):
    result = invoke("journal", "-e", "sample.ordres")

    assert result.exit_code == 2, result.output
    assert "unknown entity 'sample.ordres' (did you mean 'sample.orders'?)" in result.stderr


def test_journal_accepts_a_bare_entity_name_the_workspace_knows(project, invoke):
    assert invoke("go").exit_code == 0

    result = invoke("journal", "-e", "orders", "--json")

    assert result.exit_code == 0, result.output
    assert {json.loads(line)["entity"] for line in result.stdout.splitlines()} == {"orders"}


def test_journal_accepts_an_entity_no_longer_in_the_workspace_but_in_the_journal(project, invoke):
    assert invoke("go").exit_code == 0
    flow = project / "flows" / "sample" / "entities" / "orders.yml"
    flow.unlink()

    result = invoke("journal", "-e", "sample.orders", "--json")

    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 1


def _corrupt_one(project):
    folder = project / ".hygge" / "journal" / "sample" / "orders"
    [good] = folder.glob("*.parquet")
    bad = folder / good.name.replace("success", "fail")
    bad.write_bytes(b"PAR1 this is not parquet")
    return bad


def test_journal_skips_a_corrupt_journal_file_naming_it_and_shows_the_other_rows(
    project, invoke, wide
):
    assert invoke("go").exit_code == 0
    bad = _corrupt_one(project)

    result = invoke("journal")

    assert result.exit_code == 0, result.output
    assert f"warning: skipped journal file {bad}" in result.stderr
    assert "move it out of" in result.stderr
    for entity in ("sample.customers", "sample.orders", "sample.order_lines"):
        assert entity in result.stdout


def test_journal_json_stays_valid_json_when_a_journal_file_is_corrupt(project, invoke):
    assert invoke("go").exit_code == 0
    bad = _corrupt_one(project)

    result = invoke("journal", "--json")

    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(row["entity"] for row in rows) == ["customers", "order_lines", "orders"]
    assert str(bad) in result.stderr
