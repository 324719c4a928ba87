"""Structured logs of the Function App: every record of the `hygge` loggers carries the ids
of the run, flow, entity and attempt it belongs to, and goes to Application Insights when
`APPLICATIONINSIGHTS_CONNECTION_STRING` is set.

The API, for starters and activities alike:

    from hygge.functions.telemetry import run_context, current_ids

    with run_context(run_id=instance_id, flow="sales", entity="orders", attempt=attempt_id):
        log.info("moved %d rows", rows)   # the record carries hygge.run_id, hygge.flow, ...

`run_context` nests (an inner block adds or replaces ids, the outer ones come back after it)
and is safe across threads and asyncio tasks (context variables). `configure_telemetry()` is
called once by `build_app()`: it installs a log record factory that copies the current ids
onto each record as attributes `hygge.run_id`, `hygge.flow`, `hygge.entity`,
`hygge.attempt`, `hygge.step` (the one activity call: `orchestrators.step_id_of`;
Application Insights shows them as customDimensions) and prefixes the message
with them (`[run=… entity=sales.orders attempt=…]`) for the Functions host's own log stream.
OpenTelemetry (`azure-monitor-opentelemetry`, in the `functions` extra) is imported only then,
and only when the connection string is set.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

APPINSIGHTS_VARIABLE = "APPLICATIONINSIGHTS_CONNECTION_STRING"
LOGGER = "hygge"
ID_NAMES = ("run_id", "flow", "entity", "attempt", "step")

_ids: ContextVar[dict[str, str] | None] = ContextVar("hygge_log_ids", default=None)
_configured: dict[str, bool] = {"factory": False, "azure_monitor": False}


def current_ids() -> dict[str, str]:
    """The ids the current context's log records carry."""
    return dict(_ids.get() or {})


@contextmanager
def run_context(
    *,
    run_id: str | None = None,
    flow: str | None = None,
    entity: str | None = None,
    attempt: str | None = None,
    step: str | None = None,
) -> Iterator[dict[str, str]]:
    """Log records inside the block carry these ids (None: keep the outer one)."""
    given = {"run_id": run_id, "flow": flow, "entity": entity, "attempt": attempt, "step": step}
    merged = current_ids() | {key: value for key, value in given.items() if value is not None}
    token = _ids.set(merged)
    try:
        yield merged
    finally:
        _ids.reset(token)


def _stamp(record: logging.LogRecord) -> None:
    """Put the current ids on a record: attributes always, the message prefix for hygge's."""
    ids = current_ids()
    for name in ID_NAMES:
        setattr(record, f"hygge.{name}", ids.get(name, ""))
    if ids and (record.name == LOGGER or record.name.startswith(LOGGER + ".")):
        shown = " ".join(
            f"{'run' if name == 'run_id' else name}={ids[name]}"
            for name in ID_NAMES
            if ids.get(name)
        )
        record.msg = f"[{shown}] {record.msg}"


def _install_record_factory() -> None:
    """Every record made from now on is stamped (a logger's filter would miss its children)."""
    made = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = made(*args, **kwargs)
        _stamp(record)
        return record

    logging.setLogRecordFactory(factory)


def configure_telemetry(env: Mapping[str, str] | None = None) -> bool:
    """Stamp log records with the ids; with a connection string, Application Insights too.

    Returns whether Application Insights is configured. Idempotent. A missing
    `azure-monitor-opentelemetry` is logged with the install hint, never fatal: the host's own
    logging still reaches Application Insights without it.
    """
    env = os.environ if env is None else env
    logger = logging.getLogger(LOGGER)
    if not _configured["factory"]:
        _install_record_factory()
        logger.setLevel(logging.INFO)
        _configured["factory"] = True
    connection = (env.get(APPINSIGHTS_VARIABLE) or "").strip()
    if not connection or _configured["azure_monitor"]:
        return _configured["azure_monitor"]
    try:
        from azure.monitor.opentelemetry import configure_azure_monitor
    except ImportError:
        logger.warning(
            "%s is set but azure-monitor-opentelemetry is not installed, so hygge's structured "
            "logs reach Application Insights only through the host; pip install "
            "'hygge-el[functions]'",
            APPINSIGHTS_VARIABLE,
        )
        return False
    configure_azure_monitor(connection_string=connection, logger_name=LOGGER)
    _configured["azure_monitor"] = True
    return True
