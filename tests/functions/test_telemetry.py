"""Log records carry run, flow, entity and attempt ids; Application Insights only when its
connection string is set, and OpenTelemetry imported only then."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from hygge.functions.telemetry import configure_telemetry, current_ids, run_context

ROOT = Path(__file__).resolve().parents[2]


def test_run_context_nests_and_restores_the_outer_ids() -> None:
    with run_context(run_id="hygge-run-1"):
        with run_context(flow="sales", entity="sales.orders", attempt="a1"):
            inner = current_ids()
        outer = current_ids()
    after = current_ids()

    assert inner == {
        "run_id": "hygge-run-1",
        "flow": "sales",
        "entity": "sales.orders",
        "attempt": "a1",
    }
    assert outer == {"run_id": "hygge-run-1"}
    assert after == {}


def test_ids_do_not_leak_between_threads_or_tasks() -> None:
    seen: dict[str, dict[str, str]] = {}

    def worker(name: str) -> None:
        with run_context(run_id=name):
            seen[name] = current_ids()

    async def task(name: str) -> None:
        with run_context(run_id=name):
            await asyncio.sleep(0)
            seen[name] = current_ids()

    threads = [threading.Thread(target=worker, args=(f"t{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    async def both() -> None:
        await asyncio.gather(task("a"), task("b"))

    asyncio.run(both())

    assert {name: ids["run_id"] for name, ids in seen.items()} == {n: n for n in seen}
    assert len(seen) == 6


def test_records_of_hygge_loggers_carry_the_ids_as_attributes_and_in_the_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    configure_telemetry({})
    log = logging.getLogger("hygge.functions.activities")
    with (
        caplog.at_level(logging.INFO, logger="hygge"),
        run_context(run_id="hygge-run-9", flow="sales", entity="sales.orders", attempt="move-3"),
    ):
        log.info("moved %d rows", 10)
        logging.getLogger("azure.core").warning("sdk says")

    mine, theirs = caplog.records[-2], caplog.records[-1]
    assert (
        mine.getMessage()
        == "[run=hygge-run-9 flow=sales entity=sales.orders attempt=move-3] moved 10 rows"
    )
    assert getattr(mine, "hygge.attempt") == "move-3"
    assert getattr(theirs, "hygge.run_id") == "hygge-run-9"  # dimensions on every record
    assert theirs.getMessage() == "sdk says"  # other libraries' messages are left as they are


PROBE = """
import json, sys
from hygge.functions.telemetry import configure_telemetry
configured = configure_telemetry()
print(json.dumps({"configured": configured, "otel": "azure.monitor.opentelemetry" in sys.modules}))
"""


@pytest.mark.parametrize(
    ("connection", "expected"),
    [
        pytest.param("", {"configured": False, "otel": False}, id="unset"),
        pytest.param(
            "InstrumentationKey=00000000-0000-0000-0000-000000000000;"
            "IngestionEndpoint=http://127.0.0.1:9/",
            {"configured": True, "otel": True},
            id="set",
        ),
    ],
)
def test_application_insights_is_configured_only_with_its_connection_string(
    connection: str, expected: dict[str, bool]
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "APPLICATIONINSIGHTS_CONNECTION_STRING"}
    if connection:
        env["APPLICATIONINSIGHTS_CONNECTION_STRING"] = connection
    env["OTEL_SDK_DISABLED"] = ""  # the distro itself, not a disabled SDK
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == expected
