"""Every exception becomes one JSON-ready RunError, terminal or transient, in one place."""

from __future__ import annotations

import errno

import pyarrow as pa
import pytest

from hygge.engine.failures import RunError, describe_failure
from hygge.errors import (
    ConfigError,
    DataError,
    PublishRefusedError,
    RetryableError,
    StoreOwnershipError,
)


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        pytest.param(ConfigError("bad key"), "terminal", id="config"),
        pytest.param(DataError("bad row"), "terminal", id="data"),
        pytest.param(RetryableError("throttled"), "transient", id="retryable"),
        pytest.param(OSError(errno.ENOSPC, "disk full"), "terminal", id="enospc"),
        pytest.param(OSError(errno.EACCES, "denied"), "terminal", id="eacces"),
        pytest.param(OSError(errno.EAGAIN, "again"), "transient", id="eagain"),
        pytest.param(OSError(errno.ETIMEDOUT, "timed out"), "transient", id="etimedout"),
        pytest.param(ConnectionResetError("reset"), "transient", id="connection-reset"),
        pytest.param(TimeoutError("slow"), "transient", id="timeout"),
        pytest.param(pa.ArrowInvalid("bad cast"), "terminal", id="arrow-invalid"),
        pytest.param(ValueError("a bug"), "terminal", id="unknown"),
    ],
)
def test_each_failure_is_classed_terminal_or_transient(error: BaseException, kind: str) -> None:
    assert describe_failure(error).kind == kind


def test_a_driver_error_is_matched_by_module_and_class_name_without_importing_it() -> None:
    operational = type("OperationalError", (Exception,), {"__module__": "pyodbc"})

    assert describe_failure(operational("link down")).retryable


def test_a_run_error_crosses_a_process_boundary_as_json() -> None:
    described = describe_failure(DataError("column x missing"), where="move_chunk")

    again = RunError.model_validate_json(described.model_dump_json())

    assert again == described
    assert again.type == "DataError" and again.where == "move_chunk"


def test_only_a_publish_refused_before_any_change_is_classed_refused() -> None:
    assert describe_failure(PublishRefusedError("another's table")).category == "refused"
    assert describe_failure(StoreOwnershipError("a folder of photos")).category == "other"
