"""Same results as the CLI: one workspace and source, run through the Function App's
orchestrations (replayed, activities for real) and through `hygge go -w az://…`, gives the
same store contents and equivalent journal rows — on a first run and an incremental one."""

from __future__ import annotations

import pytest

from hygge.functions.contracts import RunInput
from tests.functions.app_shop import content_hash, driver, make_shop
from tests.support.cli import hygge

pytestmark = pytest.mark.azurite

ENTITIES = ["orders", "lines"]
SAME = (
    "coordinator",
    "flow",
    "entity",
    "status",
    "run_type",
    "row_count",
    "primary_key",
    "watermark_column",
    "watermark_type",
    "watermark",
    "message",
    "schema_version",
    "window_from",
    "window_to",
    "files",
    "chunks",
    "resumed",
    "error_type",
)


def _land(shop, first: int, count: int, tag: str) -> None:
    for number, entity in enumerate(ENTITIES):
        start = number * 100_000 + first
        shop.land_named(entity, range(start, start + count + 37 * number), tag, files=2)


def _journal(shop) -> list[tuple]:
    rows = shop.journal_rows()
    return sorted(tuple(row[key] for key in SAME) for row in rows)


def test_the_app_and_hygge_go_give_the_same_store_and_journal(azurite, monkeypatch, tmp_path):
    app, cli = make_shop(azurite.connection_string), make_shop(azurite.connection_string)
    for shop in (app, cli):
        shop.write_workspace(ENTITIES, checkpoint_rows=250)
        _land(shop, 0, 900, "a")
    for name, value in app.env().items():
        monkeypatch.setenv(name, value)

    for number, tag in enumerate(("first", "second")):
        run = RunInput(trigger="timer", requested_at=f"2026-12-0{number + 1}T02:00:00Z")
        instance = driver().run("run_workspace", run.model_dump(mode="json"), f"hygge-timer-{tag}")
        assert instance.output["failed"] == 0, instance.output
        done = hygge(tmp_path, "go", "-w", cli.workspace, env=cli.env())
        assert done.returncode == 0, done.stdout + done.stderr
        for entity in ENTITIES:
            assert content_hash(app.lake_frame(entity)) == content_hash(cli.lake_frame(entity))
            assert content_hash(app.lake_frame(entity)) == content_hash(app.source_frame(entity))
        assert _journal(app) == _journal(cli)
        _land(app, 10_000, 400, "b")  # the second, incremental run's new files
        _land(cli, 10_000, 400, "b")

    assert len(_journal(app)) == 4
    assert {row[3] for row in _journal(app)} == {"success"}
