"""App settings read and validated in one place; NCRONTAB slots."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hygge.errors import ConfigError
from hygge.functions.schedule import parse_schedule, slot_name, slot_of
from hygge.functions.settings import DESCRIPTIONS, SETTING_NAMES, read_settings

BASE = {
    "HYGGE_WORKSPACE": "az://workspace/sales",
    "HYGGE_STORAGE_CONNECTION": "UseDevelopmentStorage=true",
}


def test_defaults_fill_every_optional_setting() -> None:
    settings = read_settings(BASE)

    assert (settings.workspace_container, settings.workspace_prefix) == ("workspace", "sales")
    assert settings.schedule == "0 0 2 * * *"
    assert (settings.chunk_seconds, settings.max_parallel_entities) == (300, 8)
    assert settings.landing_container == "landing"
    assert settings.storage_account_url is None


def test_without_a_connection_string_the_account_url_is_used_with_the_managed_identity() -> None:
    settings = read_settings(
        {
            "HYGGE_WORKSPACE": "az://workspace",
            "HYGGE_STORAGE_ACCOUNT_URL": "https://acct.blob.core.windows.net",
        }
    )

    assert settings.storage_connection is None
    assert settings.storage_account_url == "https://acct.blob.core.windows.net"
    assert settings.workspace_prefix == ""


def test_the_connection_string_never_shows_in_the_settings_repr() -> None:
    settings = read_settings({**BASE, "HYGGE_STORAGE_CONNECTION": "AccountKey=s3cr3t"})

    assert "s3cr3t" not in repr(settings)


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        pytest.param({"HYGGE_WORKSPACE": ""}, "HYGGE_WORKSPACE is not set", id="workspace-unset"),
        pytest.param(
            {"HYGGE_WORKSPACE": "/srv/ws"}, "must be an az:// location", id="workspace-local"
        ),
        pytest.param(
            {"HYGGE_WORKSPACE": "az://Bad_Name/x"},
            "HYGGE_WORKSPACE names the container",
            id="container",
        ),
        pytest.param(
            {"HYGGE_WORKSPACE": "az://workspace/a/../b"}, "'..' part", id="workspace-dotdot"
        ),
        pytest.param(
            {"HYGGE_STORAGE_CONNECTION": ""},
            "neither HYGGE_STORAGE_CONNECTION nor",
            id="no-account",
        ),
        pytest.param(
            {"HYGGE_STORAGE_CONNECTION": "", "HYGGE_STORAGE_ACCOUNT_URL": "acct"},
            "HYGGE_STORAGE_ACCOUNT_URL is 'acct'",
            id="account-url",
        ),
        pytest.param({"HYGGE_SCHEDULE": "0 2 * * *"}, "six fields", id="schedule-five-fields"),
        pytest.param({"HYGGE_SCHEDULE": "0 61 * * * *"}, "minute field '61'", id="schedule-minute"),
        pytest.param({"HYGGE_SCHEDULE": "00:30:00"}, "HYGGE_SCHEDULE", id="schedule-timespan"),
        pytest.param({"HYGGE_CHUNK_SECONDS": "5"}, "HYGGE_CHUNK_SECONDS is '5'", id="chunk-small"),
        pytest.param({"HYGGE_CHUNK_SECONDS": "1e3"}, "whole number", id="chunk-not-int"),
        pytest.param(
            {"HYGGE_MAX_PARALLEL_ENTITIES": "0"}, "HYGGE_MAX_PARALLEL_ENTITIES", id="parallel"
        ),
        pytest.param({"HYGGE_LANDING_CONTAINER": "a"}, "HYGGE_LANDING_CONTAINER", id="landing"),
    ],
)
def test_a_bad_setting_is_a_config_error_naming_it(changes: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as raised:
        read_settings({**BASE, **changes})

    assert named in str(raised.value)
    assert "local.settings.json" in str(raised.value)
    assert raised.value.hint


def test_every_setting_is_described() -> None:
    assert set(DESCRIPTIONS) == set(SETTING_NAMES)
    assert all(name.startswith("HYGGE_") for name in SETTING_NAMES)


@pytest.mark.parametrize(
    ("schedule", "moment", "slot"),
    [
        pytest.param("0 0 2 * * *", "2026-12-07T01:59", "2026-12-06T02:00Z", id="before-tonight"),
        pytest.param("0 0 2 * * *", "2026-12-07T02:00", "2026-12-07T02:00Z", id="on-time"),
        pytest.param("0 0 2 * * *", "2026-12-07T23:30", "2026-12-07T02:00Z", id="late"),
        pytest.param("0 */15 * * * *", "2026-12-07T10:44", "2026-12-07T10:30Z", id="quarter-hours"),
        pytest.param(
            "0 30 6 * * mon-fri", "2026-12-06T12:00", "2026-12-04T06:30Z", id="weekdays-sunday"
        ),
        pytest.param("0 0 0 1 jan *", "2026-12-07T00:00", "2026-01-01T00:00Z", id="yearly"),
        pytest.param("0 0 12 * * 0,7", "2026-12-07T00:00", "2026-12-06T12:00Z", id="sunday-as-7"),
    ],
)
def test_a_moment_falls_in_the_latest_slot_at_or_before_it(
    schedule: str, moment: str, slot: str
) -> None:
    when = datetime.fromisoformat(moment).replace(tzinfo=UTC)

    assert slot_name(slot_of(parse_schedule(schedule), when)) == slot


def test_a_schedule_that_never_fires_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="names no minute"):
        slot_of(parse_schedule("0 0 0 30 feb *"), datetime(2026, 12, 7, tzinfo=UTC))
