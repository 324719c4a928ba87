"""The timer and blob-arrival starters: one run per schedule slot, one landing run per entity,
arrivals during a run raised to it (coalesced), hostile and unmatched blobs ignored."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime

import azure.functions as func
import pytest
from azure.functions import meta
from azure.functions.timer import TimerRequestConverter

from hygge.functions.landing import LANDING_EVENT
from hygge.functions.starters import run_on_blob, run_on_schedule
from tests.functions.conftest import PublishedWorkspace
from tests.support.durable_client import TaskHub

pytestmark = pytest.mark.azurite
NIGHT = datetime(2026, 12, 7, 2, 0, 3, tzinfo=UTC)


def timer(past_due: bool = False) -> func.TimerRequest:
    """The TimerRequest the worker decodes from the host's timer payload."""
    payload = {
        "IsPastDue": past_due,
        "ScheduleStatus": {
            "Last": "2026-12-06T02:00:00+00:00",
            "Next": "2026-12-07T02:00:00+00:00",
        },
        "Schedule": {"AdjustForDST": True},
    }
    request: func.TimerRequest = TimerRequestConverter.decode(
        meta.Datum(json.dumps(payload), "json"), trigger_metadata={}
    )
    return request


def test_a_timer_fire_starts_the_run_of_its_slot(
    hub: TaskHub, published: PublishedWorkspace
) -> None:
    started = asyncio.run(run_on_schedule(timer(), hub.client(), now=NIGHT))

    assert started == "hygge-timer-2026-12-07T02:00Z"
    assert hub.started == [started]
    run = hub.instances[started]
    assert run.name == "run_workspace"
    assert run.input["trigger"] == "timer"
    assert run.input["request"]["flows"] is None
    assert run.input["requested_at"] == "2026-12-07T02:00:03+00:00"


def test_a_double_fire_of_one_slot_starts_one_run_even_late_or_after_it_finished(
    hub: TaskHub, published: PublishedWorkspace
) -> None:
    first = asyncio.run(run_on_schedule(timer(), hub.client(), now=NIGHT))
    hub.instances[str(first)].status = "Completed"
    late = NIGHT.replace(hour=9, minute=41)

    again = asyncio.run(run_on_schedule(timer(past_due=True), hub.client(), now=late))
    next_night = asyncio.run(
        run_on_schedule(timer(), hub.client(), now=NIGHT.replace(day=8, minute=1))
    )

    assert again is None
    assert next_night == "hygge-timer-2026-12-08T02:00Z"
    assert hub.started == [first, next_night]


def test_the_schedule_setting_picks_the_slot(
    hub: TaskHub, published: PublishedWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HYGGE_SCHEDULE", "0 */15 * * * *")

    started = asyncio.run(run_on_schedule(timer(), hub.client(), now=NIGHT.replace(minute=44)))

    assert started == "hygge-timer-2026-12-07T02:30Z"


def landing(published: PublishedWorkspace, key: str) -> str:
    return f"{published.landing}/{key}"


def test_an_arrival_starts_the_landing_run_of_the_entity_whose_home_covers_it(
    hub: TaskHub, published: PublishedWorkspace
) -> None:
    ids = asyncio.run(
        run_on_blob(landing(published, "sales/orders/2026-12-07.parquet"), hub.client())
    )

    assert ids == ["hygge-landing-sales.orders"]
    run = hub.instances["hygge-landing-sales.orders"]
    assert run.input["trigger"] == "blob"
    assert run.input["request"]["entities"] == ["sales.orders"]
    assert run.input["landing_paths"] == ["sales/orders/2026-12-07.parquet"]


def test_arrivals_during_a_landing_run_are_raised_to_it_not_started_again(
    hub: TaskHub, published: PublishedWorkspace
) -> None:
    key = "sales/orders/a.parquet"
    asyncio.run(run_on_blob(landing(published, key), hub.client()))
    hub.instances["hygge-landing-sales.orders"].status = "Running"

    for name in ("b.parquet", "c.parquet", "d.parquet"):
        asyncio.run(run_on_blob(landing(published, f"sales/orders/{name}"), hub.client()))

    assert hub.started == ["hygge-landing-sales.orders"]
    assert hub.instances["hygge-landing-sales.orders"].events == [
        (LANDING_EVENT, f"sales/orders/{name}") for name in ("b.parquet", "c.parquet", "d.parquet")
    ]


def test_an_arrival_after_the_landing_run_finished_starts_it_again(
    hub: TaskHub, published: PublishedWorkspace
) -> None:
    asyncio.run(run_on_blob(landing(published, "sales/customers/1.parquet"), hub.client()))
    hub.instances["hygge-landing-sales.customers"].status = "Completed"

    asyncio.run(run_on_blob(landing(published, "sales/customers/2.parquet"), hub.client()))

    assert hub.started == ["hygge-landing-sales.customers"] * 2
    assert hub.instances["hygge-landing-sales.customers"].input["landing_paths"] == [
        "sales/customers/2.parquet"
    ]


def test_a_run_that_ends_as_the_event_is_raised_is_started_anew(
    hub: TaskHub, published: PublishedWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = hub.add("hygge-landing-sales.orders", "Running")
    client = hub.client()
    answer = client._post_async_request

    async def ends_first(url: str, data: object = None, *args: object, **kwargs: object):
        if "raiseEvent" in url:
            run.status = "Completed"  # it finished between our status check and the event
        return await answer(url, data, *args, **kwargs)

    client._post_async_request = ends_first

    asyncio.run(run_on_blob(landing(published, "sales/orders/late.parquet"), client))

    assert hub.started == ["hygge-landing-sales.orders"]
    assert hub.instances["hygge-landing-sales.orders"].input["landing_paths"] == [
        "sales/orders/late.parquet"
    ]


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("sales/../stock/levels/x.parquet", id="dot-dot"),
        pytest.param("sales/./orders/x.parquet", id="dot"),
        pytest.param("/sales/orders/x.parquet", id="absolute"),
        pytest.param("sales//orders/x.parquet", id="empty-part"),
        pytest.param("sales/orders/_staging/x.parquet", id="staging"),
        pytest.param("sales/orders/_tmp-1/x.parquet", id="tmp"),
        pytest.param("sales/orders/.hidden", id="hidden"),
        pytest.param("sales%2Forders/x.parquet", id="percent-encoded"),
        pytest.param("sales\\orders\\x.parquet", id="backslash"),
        pytest.param("sales/orders/x\x00.parquet", id="nul"),
        pytest.param("sales/orders/cafe\u0301.parquet", id="not-nfc"),
    ],
)
def test_a_hostile_blob_name_is_logged_and_ignored(
    hub: TaskHub, published: PublishedWorkspace, key: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="hygge"):
        ids = asyncio.run(run_on_blob(landing(published, key), hub.client()))

    assert ids == []
    assert hub.requests == []  # not even a status query
    assert "ignored landing blob" in caplog.text


def test_a_blob_under_no_home_is_logged_and_ignored(
    hub: TaskHub, published: PublishedWorkspace, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="hygge"):
        ids = asyncio.run(run_on_blob(landing(published, "marketing/x.parquet"), hub.client()))
        stock = asyncio.run(run_on_blob(landing(published, "stock/levels/x.parquet"), hub.client()))

    assert ids == stock == []  # stock.levels reads from the lake, not the landing container
    assert hub.started == []
    assert "under no entity's home" in caplog.text


def test_log_records_of_a_landing_start_carry_the_run_and_entity(
    hub: TaskHub, published: PublishedWorkspace, caplog: pytest.LogCaptureFixture
) -> None:
    from hygge.functions.telemetry import configure_telemetry

    configure_telemetry({})
    with caplog.at_level(logging.INFO, logger="hygge"):
        asyncio.run(run_on_blob(landing(published, "sales/orders/z.parquet"), hub.client()))

    [record] = [r for r in caplog.records if "started run" in r.getMessage()]
    assert getattr(record, "hygge.run_id") == "hygge-landing-sales.orders"
    assert getattr(record, "hygge.entity") == "sales.orders"
    assert record.getMessage().startswith("[run=hygge-landing-sales.orders flow=sales")


def racing_client(hub: TaskHub, instance_id: str, status: str = "Running"):
    """A client whose first status query misses an instance another starter creates just
    after it (two fires or two arrivals at once)."""
    client = hub.client()
    answer = client._get_async_request
    seen = {"first": True}

    async def late(url: str, *args: object, **kwargs: object):
        result = await answer(url, *args, **kwargs)
        if seen["first"] and instance_id in url:
            seen["first"] = False
            hub.add(instance_id, status, input={"request": {}, "requested_at": "x"})
        return result

    client._get_async_request = late
    return client


def test_two_fires_of_one_slot_at_once_start_one_run(
    hub: TaskHub, published: PublishedWorkspace
) -> None:
    slot = "hygge-timer-2026-12-07T02:00Z"

    started = asyncio.run(run_on_schedule(timer(), racing_client(hub, slot), now=NIGHT))

    assert started is None
    assert hub.started == []  # the other fire's instance stands; nothing replaced it


def test_two_arrivals_at_once_start_one_landing_run_and_signal_it(
    hub: TaskHub, published: PublishedWorkspace
) -> None:
    singleton = "hygge-landing-sales.orders"
    client = racing_client(hub, singleton)

    asyncio.run(run_on_blob(landing(published, "sales/orders/second.parquet"), client))

    assert hub.started == []
    assert hub.instances[singleton].events == [(LANDING_EVENT, "sales/orders/second.parquet")]
