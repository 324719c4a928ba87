"""The Function App's settings: every `HYGGE_*` app setting, read here and nowhere else.

`DESCRIPTIONS` says what each one holds (local.settings.sample.json and the README repeat
it); `DEFAULTS` holds the defaults of those that have one.

The Functions host resolves `%HYGGE_SCHEDULE%` and `%HYGGE_LANDING_CONTAINER%` in bindings
itself and refuses to index a function whose setting is missing, so both are set explicitly in
`local.settings.sample.json` and in the Bicep app settings (to the defaults above).

`read_settings(env)` validates them all and raises `ConfigError` naming the setting, what it
holds and what to set; nothing is read at import time.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from hygge.errors import ConfigError

WORKSPACE = "HYGGE_WORKSPACE"
STORAGE_CONNECTION = "HYGGE_STORAGE_CONNECTION"
STORAGE_ACCOUNT_URL = "HYGGE_STORAGE_ACCOUNT_URL"
SCHEDULE = "HYGGE_SCHEDULE"
CHUNK_SECONDS = "HYGGE_CHUNK_SECONDS"
MAX_PARALLEL_ENTITIES = "HYGGE_MAX_PARALLEL_ENTITIES"
LANDING_CONTAINER = "HYGGE_LANDING_CONTAINER"

LANDING_CONNECTION = "HyggeLandingStorage"
"""The connection the host's blob trigger reads the landing container with (not read by hygge):
a connection string locally (`UseDevelopmentStorage=true`), in Azure the identity-based
`HyggeLandingStorage__blobServiceUri` / `__queueServiceUri` / `__credential` / `__clientId`."""

SETTING_NAMES: tuple[str, ...] = (
    WORKSPACE,
    STORAGE_CONNECTION,
    STORAGE_ACCOUNT_URL,
    SCHEDULE,
    CHUNK_SECONDS,
    MAX_PARALLEL_ENTITIES,
    LANDING_CONTAINER,
)
"""Every app setting hygge's Function App reads (tests cross-check infra and samples)."""

DEFAULT_SCHEDULE = "0 0 2 * * *"  # 02:00 UTC every day
DEFAULT_CHUNK_SECONDS = 300
DEFAULT_MAX_PARALLEL_ENTITIES = 8
DEFAULT_LANDING_CONTAINER = "landing"

DESCRIPTIONS: dict[str, str] = {
    WORKSPACE: "Where the workspace lives: az://<container>/<prefix> holding hygge.yml "
    "(written there by `hygge publish`). Required.",
    STORAGE_CONNECTION: "Connection string of the workspace's storage account (Azurite: "
    "UseDevelopmentStorage=true). Unset: the app's managed identity, on the account "
    f"{STORAGE_ACCOUNT_URL} names.",
    STORAGE_ACCOUNT_URL: "https://<account>.blob.core.windows.net: the workspace's account, "
    f"signed in with the managed identity when {STORAGE_CONNECTION} is unset.",
    SCHEDULE: "NCRONTAB (six fields: second minute hour day month weekday, UTC) of the "
    "scheduled run. Default 0 0 2 * * * (02:00 UTC nightly).",
    CHUNK_SECONDS: "Seconds one move_chunk activity moves data before it checkpoints and "
    "returns (10-1200; well inside host.json's functionTimeout). Default 300.",
    MAX_PARALLEL_ENTITIES: "Entities moved at once in one run (sub-orchestrations, 1-500). "
    "Default 8.",
    LANDING_CONTAINER: "Container whose new blobs start a run of the entities whose home "
    "covers them (Event Grid blob trigger). Default landing.",
}

DEFAULTS: dict[str, str] = {
    SCHEDULE: DEFAULT_SCHEDULE,
    CHUNK_SECONDS: str(DEFAULT_CHUNK_SECONDS),
    MAX_PARALLEL_ENTITIES: str(DEFAULT_MAX_PARALLEL_ENTITIES),
    LANDING_CONTAINER: DEFAULT_LANDING_CONTAINER,
}

CHUNK_SECONDS_RANGE = (10, 1200)
"""A chunk must end well inside host.json's functionTimeout (30 minutes)."""
MAX_PARALLEL_RANGE = (1, 500)

# Container names: 3-63 lowercase letters, digits and single hyphens (Azure's rule).
_CONTAINER = re.compile(r"^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$")
_WHERE = "the Function App's settings (local.settings.json locally)"


@dataclass(frozen=True)
class FunctionSettings:
    """The validated settings; `storage_connection` None means the managed identity."""

    workspace: str
    workspace_container: str
    workspace_prefix: str
    storage_connection: str | None
    storage_account_url: str | None
    schedule: str
    chunk_seconds: int
    max_parallel_entities: int
    landing_container: str

    def __repr__(self) -> str:  # the connection string holds the account key: never shown
        secret = "<set>" if self.storage_connection else None
        return (
            f"FunctionSettings(workspace={self.workspace!r}, storage_connection={secret}, "
            f"storage_account_url={self.storage_account_url!r}, schedule={self.schedule!r}, "
            f"chunk_seconds={self.chunk_seconds}, "
            f"max_parallel_entities={self.max_parallel_entities}, "
            f"landing_container={self.landing_container!r})"
        )


def read_settings(env: Mapping[str, str] | None = None) -> FunctionSettings:
    """All settings from `env` (default: the process environment), validated."""
    env = os.environ if env is None else env

    def get(name: str) -> str:
        return (env.get(name) or "").strip() or DEFAULTS.get(name, "")

    container, prefix = _workspace(get(WORKSPACE))
    connection = get(STORAGE_CONNECTION) or None
    account_url = get(STORAGE_ACCOUNT_URL) or None
    if connection is None:
        _account_url(account_url)
    return FunctionSettings(
        workspace=get(WORKSPACE).rstrip("/"),
        workspace_container=container,
        workspace_prefix=prefix,
        storage_connection=connection,
        storage_account_url=account_url,
        schedule=_schedule(get(SCHEDULE)),
        chunk_seconds=_integer(CHUNK_SECONDS, get(CHUNK_SECONDS), CHUNK_SECONDS_RANGE),
        max_parallel_entities=_integer(
            MAX_PARALLEL_ENTITIES, get(MAX_PARALLEL_ENTITIES), MAX_PARALLEL_RANGE
        ),
        landing_container=_container(LANDING_CONTAINER, get(LANDING_CONTAINER)),
    )


def _workspace(text: str) -> tuple[str, str]:
    if not text:
        raise ConfigError(
            f"{WORKSPACE} is not set, so the app does not know which workspace to run",
            file=_WHERE,
            hint=f"set {WORKSPACE}=az://<container>/<prefix>, the place `hygge publish` "
            "wrote hygge.yml to",
        )
    parts = urlsplit(text)
    if parts.scheme != "az":
        raise ConfigError(
            f"{WORKSPACE} is '{text}'; the Function App reads its workspace from blob "
            "storage, so it must be an az:// location",
            file=_WHERE,
            hint=f"set {WORKSPACE}=az://<container>/<prefix> (publish the workspace there "
            "with `hygge publish`)",
        )
    container = _container(WORKSPACE, parts.netloc)
    prefix = parts.path.strip("/")
    if any(part in ("", ".", "..") for part in prefix.split("/")) and prefix:
        raise ConfigError(
            f"{WORKSPACE} is '{text}', whose prefix has an empty, '.' or '..' part",
            file=_WHERE,
            hint="write the prefix as plain folder names: az://workspace/sales",
        )
    return container, prefix


def _container(name: str, value: str) -> str:
    if not _CONTAINER.match(value):
        raise ConfigError(
            f"{name} names the container '{value}', which is not a valid blob container name",
            file=_WHERE,
            hint="a container name has 3-63 lowercase letters, digits and single hyphens",
        )
    return value


def _account_url(url: str | None) -> None:
    if not url:
        raise ConfigError(
            f"neither {STORAGE_CONNECTION} nor {STORAGE_ACCOUNT_URL} is set, so the app does "
            "not know which storage account holds the workspace",
            file=_WHERE,
            hint=f"set {STORAGE_ACCOUNT_URL}=https://<account>.blob.core.windows.net (the "
            f"app's managed identity signs in), or {STORAGE_CONNECTION} to a connection "
            "string (UseDevelopmentStorage=true for Azurite)",
        )
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ConfigError(
            f"{STORAGE_ACCOUNT_URL} is '{url}', which is not an account address",
            file=_WHERE,
            hint=f"set {STORAGE_ACCOUNT_URL}=https://<account>.blob.core.windows.net",
        )


def _schedule(text: str) -> str:
    from hygge.functions.schedule import parse_schedule

    try:
        parse_schedule(text, SCHEDULE)
    except ConfigError as exc:
        raise ConfigError(exc.detail, file=_WHERE, hint=exc.hint) from exc
    return " ".join(text.split())


def _integer(name: str, text: str, bounds: tuple[int, int]) -> int:
    low, high = bounds
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise ConfigError(
            f"{name} is '{text}'; it must be a whole number from {low} to {high}",
            file=_WHERE,
            hint=f"set {name}={DEFAULTS[name]} (the default) or another value in range",
        )
    return value
