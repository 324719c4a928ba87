"""Azure SDK errors become hygge errors, in one place: what failed, where, and what to do.

A 401/403 is a ConfigError naming the identity (never a secret) and the role it needs; a missing
container or a container name Azure refuses is a ConfigError naming it; a transient failure
that outlasted the retries is a RetryableError; a lost condition is a PreconditionFailedError.
No error chains the SDK's exception: its text may carry URLs with signatures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NoReturn

from hygge.errors import ConfigError, HyggeError, RetryableError
from hygge.storage.base import PreconditionFailedError

ROLE_WRITE = "Storage Blob Data Contributor"
ROLE_READ = "Storage Blob Data Reader"
_TRANSIENT_CODES = frozenset({"ServerBusy", "OperationTimedOut", "InternalError"})
_NAME_CODES = frozenset({"InvalidResourceName", "OutOfRangeInput"})
_CONTAINER_NAME = re.compile(r"[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}")
_SPECIAL_CONTAINERS = frozenset({"$root", "$web", "$logs"})


@dataclass(frozen=True)
class BlobErrors:
    """Maps the SDK's errors for one container; `identity` says who called (no secret)."""

    account: str
    container: str
    identity: str
    url: str  # the container's URL, its query (a SAS) already cut off
    onelake: bool = False  # OneLake: the container is a Fabric workspace, access is by its roles

    def where(self) -> str:
        if self.onelake:
            return f"Fabric workspace '{self.container}' in OneLake"
        return f"container '{self.container}' of storage account '{self.account}'"

    def access_hint(self) -> str:
        """Which role the identity needs."""
        if self.onelake:
            return (
                f"give it the Contributor role (or Member or Admin) on the Fabric workspace "
                f"'{self.container}': OneLake grants access by workspace roles, not Azure "
                "RBAC (Viewer only reads); OneLake takes Entra ID identities only"
            )
        return (
            f"grant it the role '{ROLE_WRITE}' on the container or account (or "
            f"'{ROLE_READ}' where hygge only reads); a key or SAS must be valid, unexpired "
            "and allow this operation"
        )

    def fail(self, error: Exception, action: str, what: str, *, on_blob: bool) -> NoReturn:
        """Raise the HyggeError for an SDK error raised while `action`-ing `what` (a blob when
        `on_blob`, else the container or a prefix); anything not from the SDK unchanged."""
        from azure.core.exceptions import (
            AzureError,
            ClientAuthenticationError,
            HttpResponseError,
            ResourceNotFoundError,
            ServiceRequestError,
            ServiceResponseError,
        )

        if not isinstance(error, AzureError):
            raise error  # a bug, not the service: unchanged
        status = getattr(error, "status_code", None)
        code = error_code(error)
        request_id = _request_id(error)
        detail = f"HTTP {status}" if status else type(error).__name__
        detail += f" {code}" if code else ""
        detail += f", request id {request_id}" if request_id else ""
        if isinstance(error, ClientAuthenticationError) or status in (401, 403):
            raise ConfigError(
                f"storage account '{self.account}' refused to {action} {what} for "
                f"{self.identity} ({detail}): no access to the {self.where()}",
                hint=self.access_hint(),
            ) from None
        naming = container_name_problem(self.container)
        if status == 400 and code in _NAME_CODES and naming is not None:
            raise ConfigError(
                f"cannot {action} {what}: the container name '{self.container}' {naming} "
                f"({detail})",
                hint="a container name is 3 to 63 lowercase letters, digits and single "
                "hyphens, starting and ending with a letter or digit: fix `container` in the "
                "connection, the state block or the az:// location",
            ) from None
        if code == "ContainerNotFound" or (
            isinstance(error, ResourceNotFoundError) and not on_blob
        ):
            raise ConfigError(
                f"cannot {action} {what}: there is no {self.where()}",
                hint=f"create the container '{self.container}', or fix the container name in "
                "the connection or the az:// location",
            ) from None
        if isinstance(error, ServiceRequestError | ServiceResponseError) or (
            isinstance(error, HttpResponseError)
            and (status in (408, 429) or (status or 0) >= 500 or code in _TRANSIENT_CODES)
        ):
            raise RetryableError(
                f"could not {action} {what} on {self.url} after retries "
                f"({detail}); the service or the network is failing, try again"
            ) from None
        raise HyggeError(f"could not {action} {what} ({detail})") from None

    def refuse(self, error: Exception, what: str, *, if_absent: bool, if_match: str | None) -> None:
        """PreconditionFailedError when `error` is a lost condition of a put of `what`."""
        from azure.core.exceptions import (
            ResourceExistsError,
            ResourceModifiedError,
            ResourceNotFoundError,
        )

        code = error_code(error)
        if if_absent and (
            isinstance(error, ResourceExistsError | ResourceModifiedError)
            or code in ("BlobAlreadyExists", "ConditionNotMet")
        ):
            raise PreconditionFailedError(f"{what} already exists") from None
        if if_match is not None and code != "ContainerNotFound":
            lost = isinstance(error, ResourceModifiedError | ResourceNotFoundError)
            if lost or code in ("ConditionNotMet", "BlobNotFound"):
                raise PreconditionFailedError(
                    f"{what} is not at version {if_match}: another writer changed or deleted it"
                ) from None


def is_missing_blob(error: Exception) -> bool:
    """A 404 for the blob itself (not for its container)."""
    from azure.core.exceptions import ResourceNotFoundError

    return isinstance(error, ResourceNotFoundError) and error_code(error) != "ContainerNotFound"


def container_name_problem(name: str) -> str | None:
    """Why Azure would refuse `name` as a container name (None when it would not): the
    service answers such a name with a bare HTTP 400 that names nothing."""
    if name in _SPECIAL_CONTAINERS or _CONTAINER_NAME.fullmatch(name):
        return None
    if not 3 <= len(name) <= 63:
        return f"has {len(name)} characters, not 3 to 63"
    return "may hold only lowercase letters, digits and single hyphens between them"


def error_code(error: Exception) -> str | None:
    """The service's error code ("BlobNotFound"), from the error or its response headers."""
    code = getattr(error, "error_code", None)
    if code is not None:
        return str(getattr(code, "value", code))
    return _header(error, "x-ms-error-code")


def _request_id(error: Exception) -> str | None:
    return _header(error, "x-ms-request-id")


def _header(error: Exception, name: str) -> str | None:
    response = getattr(error, "response", None)
    headers = getattr(response, "headers", None) or {}
    found = headers.get(name)
    return str(found) if found else None
