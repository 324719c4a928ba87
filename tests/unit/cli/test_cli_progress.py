"""Plain progress lines (logs, pipes, CI) and the run summary, from runner events."""

from __future__ import annotations

import io

from rich.console import Console

from hygge.cli.progress import LiveProgress, PlainProgress
from hygge.cli.render import done_line, print_summary
from hygge.engine.events import EntityFinished, EntityProgress, EntityStarted
from hygge.engine.models import EntityResult, EntityTask
from hygge.engine.runner import RunReport
from hygge.homes.files import LocalHomeConfig
from hygge.stores.files import ParquetStoreConfig
from hygge.types import RunStatus, RunType


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _task(entity: str = "orders") -> EntityTask:
    return EntityTask(
        coordinator="shop",
        coordinator_run_id="run",
        flow_run_id="flowrun",
        flow="sales",
        entity=entity,
        run_type=RunType.INCREMENTAL,
        home=LocalHomeConfig(path="landing", format="csv"),
        store=ParquetStoreConfig(path="lake"),
        root="/tmp/shop",
    )


def _result(entity: str, status: RunStatus, rows: int = 0, **extra: object) -> EntityResult:
    return EntityResult(
        flow="sales", entity=entity, status=status, run_type=RunType.FULL_DROP, rows=rows, **extra
    )


def _plain() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=200, highlight=False, color_system=None), buffer


def test_plain_progress_prints_one_line_when_an_entity_starts_and_one_when_it_ends():
    console, buffer = _plain()
    sink = PlainProgress(console, clock=FakeClock())

    sink.handle(EntityStarted(_task(), files=3, rows_hint=1_000))
    sink.handle(EntityFinished(_result("orders", RunStatus.SUCCESS, rows=1_000, seconds=2.0)))

    assert buffer.getvalue().splitlines() == [
        "start   sales.orders  incremental  (3 files, 1,000 rows)",
        "success sales.orders  1,000 rows in 2.0 s (500 rows/s)",
    ]


def test_plain_progress_prints_progress_at_most_once_per_interval_per_entity():
    console, buffer = _plain()
    clock = FakeClock()
    sink = PlainProgress(console, every=5.0, clock=clock)
    sink.handle(EntityStarted(_task()))

    for rows, now in [(10, 101.0), (20, 104.9), (50_000, 105.0), (60_000, 107.0)]:
        clock.now = now
        sink.handle(EntityProgress(_task(), rows=rows, seconds=10.0))

    lines = buffer.getvalue().splitlines()
    assert lines[1:] == ["moving  sales.orders  50,000 rows  (5,000 rows/s)"]


def test_plain_progress_says_a_run_resumed_with_the_rows_already_moved_and_the_run_id():
    console, buffer = _plain()
    started = EntityStarted(
        _task(), resumed=True, files=2, rows_moved=1_200_000, entity_run_id="1a2b3c4d5e6f"
    )

    PlainProgress(console, clock=FakeClock()).handle(started)

    assert buffer.getvalue() == (
        "resume  sales.orders  from its checkpoint (1,200,000 rows staged before it stopped, "
        "run 1a2b3c4d)  incremental\n"
    )


def test_plain_progress_shows_the_error_type_and_first_line_of_a_failure():
    console, buffer = _plain()
    failed = _result(
        "orders",
        RunStatus.FAIL,
        message="could not parse 'x' as i64 in orders/bad.csv\nmore detail",
        error_type="DataError",
    )

    PlainProgress(console, clock=FakeClock()).handle(EntityFinished(failed))

    assert buffer.getvalue() == (
        "fail    sales.orders  DataError: could not parse 'x' as i64 in orders/bad.csv\n"
    )


def test_done_line_counts_each_outcome_and_totals_rows_and_seconds():
    report = RunReport(
        results=[
            _result("a", RunStatus.SUCCESS, rows=1_234_000, seconds=3.0),
            _result("b", RunStatus.SUCCESS, rows=567, seconds=1.0),
            _result("c", RunStatus.SKIP),
            _result("d", RunStatus.FAIL, message="boom"),
        ],
        seconds=4.24,
    )

    assert done_line(report).plain == (
        "Done. 2 succeeded, 1 skipped, 1 failed in 4.2 s (1,234,567 rows)"
    )


def test_done_line_mentions_entities_that_were_not_run():
    report = RunReport(
        results=[_result("a", RunStatus.FAIL), _result("b", RunStatus.NOT_RUN)], seconds=1.0
    )

    assert "1 failed, 1 not run in 1.0 s" in done_line(report).plain


def test_summary_shortens_long_messages_in_the_table_and_prints_them_in_full_below():
    console, buffer = _plain()
    message = "a very long explanation " * 10
    report = RunReport(
        results=[
            _result("a", RunStatus.SUCCESS, rows=10, seconds=1.0),
            _result("b", RunStatus.FAIL, message=message.strip(), error_type="DataError"),
        ],
        seconds=1.0,
    )

    print_summary(console, report)

    text = buffer.getvalue()
    assert "…" in text
    assert f"DataError: {message.strip()}" in text
    assert "sales.b failed" in text
    assert text.rstrip().endswith("Done. 1 succeeded, 0 skipped, 1 failed in 1.0 s (10 rows)")


def test_an_error_type_already_in_the_message_is_not_repeated():
    console, buffer = _plain()
    failed = _result("orders", RunStatus.FAIL, message="OSError: disk full", error_type="OSError")

    PlainProgress(console, clock=FakeClock()).handle(EntityFinished(failed))

    assert buffer.getvalue() == "fail    sales.orders  OSError: disk full\n"


def test_live_progress_on_a_terminal_shows_each_entity_and_its_outcome():
    buffer = io.StringIO()
    terminal = Console(file=buffer, width=120, force_terminal=True, color_system=None)
    live = LiveProgress(terminal, ["sales.orders", "sales.customers"])

    with live:
        live.handle(EntityStarted(_task(), rows_hint=2_000))
        live.handle(EntityProgress(_task(), rows=1_000, seconds=1.0))
        live.handle(EntityFinished(_result("orders", RunStatus.SUCCESS, rows=2_000, seconds=2.0)))
        live.handle(EntityFinished(_result("customers", RunStatus.NOT_RUN)))
        live.progress.refresh()

    text = buffer.getvalue()
    assert "sales.orders success" in text
    assert "2,000 rows" in text
    assert "sales.customers not_run" in text


def test_live_progress_prints_a_lasting_line_for_a_resumed_run():
    buffer = io.StringIO()
    terminal = Console(file=buffer, width=160, force_terminal=True, color_system=None)
    live = LiveProgress(terminal, ["sales.orders"])
    started = EntityStarted(_task(), resumed=True, rows_moved=1_200, entity_run_id="1a2b3c4d5e6f")

    with live:
        live.handle(started)
        live.handle(EntityFinished(_result("orders", RunStatus.SUCCESS, rows=2_000, seconds=2.0)))

    text = buffer.getvalue()
    assert (
        "resume sales.orders from its checkpoint "
        "(1,200 rows staged before it stopped, run 1a2b3c4d)"
    ) in text


def test_the_summary_says_which_entities_were_resumed():
    console, buffer = _plain()
    resumed = _result("orders", RunStatus.SUCCESS, rows=10, seconds=1.0, resumed=2)

    print_summary(console, RunReport(results=[resumed], seconds=1.0))

    assert "resumed twice, from a checkpoint" in buffer.getvalue()
