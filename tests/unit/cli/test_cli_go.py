"""`hygge go` end to end: init a project, run it, read what it wrote; and its failure paths."""

from __future__ import annotations

import re

import polars as pl
import pytest

from hygge.cli.sample_data import write_sample_landing


def test_go_in_a_new_project_moves_every_entity_to_parquet_and_journals_each_run(project, invoke):
    result = invoke("go")

    assert result.exit_code == 0, result.output
    lake = project / "data" / "lake"
    landing = project / "data" / "landing"
    assert (
        pl.read_parquet(lake / "customers" / "*.parquet").height
        == pl.read_csv(landing / "customers").height
    )
    assert (
        pl.read_parquet(lake / "orders" / "*.parquet").height
        == pl.read_csv(landing / "orders").height
    )
    assert (
        pl.read_parquet(lake / "order_lines" / "*.parquet").height
        == pl.read_parquet(landing / "order_lines").height
    )
    assert "customer_key" in pl.read_parquet(lake / "customers" / "*.parquet").columns
    journal = pl.read_parquet(project / ".hygge" / "journal" / "**" / "*.parquet")
    assert sorted(journal["entity"]) == ["customers", "order_lines", "orders"]
    assert set(journal["status"]) == {"success"}
    assert "Done. 3 succeeded, 0 skipped, 0 failed" in result.stdout


def test_go_again_after_new_files_land_appends_only_the_new_orders(project, invoke):
    assert invoke("go").exit_code == 0
    first = pl.read_parquet(project / "data/lake/orders/*.parquet").height
    write_sample_landing(project / "data" / "landing", rows=100, start=first)

    result = invoke("go", "--entity", "sample.orders")

    assert result.exit_code == 0, result.output
    orders = pl.read_parquet(project / "data/lake/orders/*.parquet")
    assert orders.height == first + 100
    assert orders["order_id"].is_unique().all()


def test_plain_output_has_a_start_and_an_end_line_per_entity_then_the_summary(project, invoke):
    result = invoke("go", "-e", "sample.customers,sample.orders")

    lines = result.stdout.splitlines()
    assert lines[0] == "hygge: shop: 2 entities, concurrency 4"
    for name in ("sample.customers", "sample.orders"):
        assert any(re.match(rf"start +{re.escape(name)} +\w+", line) for line in lines), lines
        assert any(
            re.match(rf"success +{re.escape(name)} +[\d,]+ rows in ", line) for line in lines
        )
    event_lines = [line for line in lines if line.startswith(("start ", "success "))]
    assert len(event_lines) == 4
    assert len({line.index("  ", 8 + len("sample.customers")) for line in event_lines}) == 1
    assert "\x1b[" not in result.stdout  # no colour codes when stdout is not a terminal
    assert "Run summary" in result.stdout
    assert lines[-1].startswith("Done. 2 succeeded, 0 skipped, 0 failed in ")


def test_a_failing_entity_gives_exit_1_while_the_other_entities_succeed(project, invoke):
    _break_customers(project)

    result = invoke("go")

    assert result.exit_code == 1
    assert re.search(r"fail +sample\.customers", result.stdout)
    assert "sample.customers failed" in result.stdout
    assert "Done. 2 succeeded, 0 skipped, 1 failed" in result.stdout
    assert pl.read_parquet(project / "data/lake/orders/*.parquet").height > 0
    journal = pl.read_parquet(project / ".hygge" / "journal" / "**" / "*.parquet")
    statuses = dict(zip(journal["entity"], journal["status"], strict=True))
    assert statuses == {"customers": "fail", "orders": "success", "order_lines": "success"}


def test_incremental_and_full_drop_together_is_a_configuration_error(project, invoke):
    result = invoke("go", "-i", "-d")

    assert result.exit_code == 2
    assert "Configuration error: --incremental and --full-drop cannot be used together" in (
        result.stderr
    )
    assert not (project / "data" / "lake").exists()


def test_an_unknown_flow_is_a_configuration_error_that_suggests_the_nearest_name(project, invoke):
    result = invoke("go", "--flow", "sampel")

    assert result.exit_code == 2
    assert "Configuration error: " in result.stderr
    assert "did you mean 'sample'" in result.stderr
    assert "Traceback" not in result.output


def test_malformed_yaml_is_a_configuration_error_naming_the_file_and_line(project, invoke):
    flow = project / "flows" / "sample" / "flow.yml"
    flow.write_text(flow.read_text() + "store: [unclosed\n")

    result = invoke("go")

    assert result.exit_code == 2
    assert result.stderr.startswith("Configuration error: ")
    assert re.search(r"flows/sample/flow\.yml.* line \d+", result.stderr), result.stderr
    assert "Traceback" not in result.output


def test_verbose_shows_the_traceback_of_a_configuration_error(project, invoke):
    (project / "hygge.yml").write_text("name: shop\nflows_dri: flows\n")

    result = invoke("go", "-v")

    assert result.exit_code == 2
    assert "Traceback" in result.stderr
    assert "Configuration error: " in result.stderr


def test_outside_a_workspace_go_says_how_to_create_one(tmp_path, invoke, monkeypatch):
    monkeypatch.chdir(tmp_path)

    result = invoke("go")

    assert result.exit_code == 2
    assert "hygge.yml" in result.stderr


def test_dry_run_prints_the_plan_and_writes_nothing_anywhere(project, invoke, snapshot):
    before = snapshot(project)

    result = invoke("go", "--dry-run")

    assert result.exit_code == 0, result.output
    assert snapshot(project) == before
    assert not (project / ".hygge").exists()
    for name in ("sample.customers", "sample.orders", "sample.order_lines"):
        assert name in result.stdout
    assert "2 files" in result.stdout
    assert "incremental" in result.stdout


def test_dry_run_after_a_run_writes_nothing_either(project, invoke, snapshot):
    assert invoke("go").exit_code == 0
    before = snapshot(project)

    result = invoke("go", "--dry-run", "-i")

    assert result.exit_code == 0, result.output
    assert snapshot(project) == before


def test_dry_run_reports_a_missing_home_folder_and_exits_1(project, invoke):
    for path in (project / "data" / "landing" / "orders").iterdir():
        path.unlink()
    (project / "data" / "landing" / "orders").rmdir()

    result = invoke("go", "--dry-run")

    assert result.exit_code == 1
    assert re.search(r"sample\.orders: .*", result.stdout)


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--flow", "sample"], id="flow"),
        pytest.param(["-e", "sample.orders", "-e", "sample.customers"], id="repeated-entity"),
    ],
)
def test_selection_flags_choose_what_runs(project, invoke, args):
    result = invoke("go", *args)

    assert result.exit_code == 0, result.output
    ran = re.findall(r"^success +(\S+)", result.stdout, flags=re.MULTILINE)
    expected = (
        {"sample.customers", "sample.orders", "sample.order_lines"}
        if "--flow" in args
        else {"sample.orders", "sample.customers"}
    )
    assert set(ran) == expected


def test_var_overrides_a_flow_setting_for_one_run(project, invoke):
    result = invoke("go", "-e", "sample.customers", "--var", "flow.sample.store.path=data/other")

    assert result.exit_code == 0, result.output
    assert pl.read_parquet(project / "data" / "other" / "customers" / "*.parquet").height > 0
    assert not (project / "data" / "lake").exists()


def _break_customers(project):
    corrupt = project / "data" / "landing" / "customers" / "customers-zzz.csv"
    corrupt.write_text('customer_id,name\n"unterminated,1,2,3\nnot-a-number,x\n')


def test_verbose_logs_debug_records_to_stderr_and_keeps_stdout_for_the_report(project, invoke):
    _break_customers(project)

    result = invoke("go", "-v", "-e", "sample.customers")

    assert result.exit_code == 1
    assert "DEBUG hygge.engine: sample.customers failed" in result.stderr
    assert "Traceback" in result.stderr
    assert "DEBUG" not in result.stdout


def test_log_level_from_hygge_yml_is_honoured(project, invoke):
    _break_customers(project)
    (project / "hygge.yml").write_text(
        (project / "hygge.yml").read_text().replace("options:\n", "options:\n  log_level: debug\n")
    )

    result = invoke("go", "-e", "sample.customers")

    assert "DEBUG hygge.engine: sample.customers failed" in result.stderr


def test_an_unknown_log_level_is_a_configuration_error(project, invoke):
    (project / "hygge.yml").write_text(
        (project / "hygge.yml").read_text().replace("options:\n", "options:\n  log_level: loud\n")
    )

    result = invoke("go")

    assert result.exit_code == 2
    assert "options.log_level 'loud' is not a log level" in result.stderr
