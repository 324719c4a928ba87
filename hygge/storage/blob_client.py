"""The azure-storage-blob client hygge uses: transfer sizes, timeouts, the retry policy.

Every `azure.*` import happens inside a function, so importing this module (and `hygge
--help`) never imports the SDK. SAS signatures are kept out of urllib3's DEBUG log lines.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from hygge.errors import ConfigError, MissingDependencyError

if TYPE_CHECKING:
    from azure.storage.blob import ContainerClient

MiB = 1024 * 1024
SINGLE_PUT_SIZE = 8 * MiB  # one request up to this size; above it, parallel blocks
BLOCK_SIZE = 8 * MiB
CHUNK_SIZE = 4 * MiB  # a streaming read holds about one chunk
CONCURRENCY = 8  # blocks in flight per put (memory: CONCURRENCY x BLOCK_SIZE for a stream)
_SIGNATURE = re.compile(r"(?i)\b(sig|signature)=[^&\s\"']+")


class _HideSignatures(logging.Filter):
    """Replaces SAS signatures in a record's text: urllib3 logs whole request URLs at DEBUG
    (the SDK's own loggers redact them already)."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if _SIGNATURE.search(text):
            record.msg, record.args = _SIGNATURE.sub(r"\1=REDACTED", text), ()
        return True


def hide_signatures_in_logs() -> None:
    logger = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(each, _HideSignatures) for each in logger.filters):
        logger.addFilter(_HideSignatures())


def azure_blob() -> Any:
    """The azure.storage.blob module; MissingDependencyError naming the extra when absent."""
    try:
        import azure.storage.blob as blob_module
    except ImportError as error:
        raise MissingDependencyError("azure-storage-blob", "azure") from error
    return blob_module


def retry_policy(*, total: int = 5, initial_backoff: int = 2, increment_base: int = 3) -> Any:
    """The SDK's exponential retry, 429 included (`hygge.storage.blob_retry`): waits about 2,
    5, 11, 29, 83 s between attempts."""
    azure_blob()  # MissingDependencyError naming the extra when the SDK is absent
    from hygge.storage.blob_retry import BlobRetry

    return BlobRetry(
        initial_backoff=initial_backoff,
        increment_base=increment_base,
        retry_total=total,
        random_jitter_range=1,
    )


def container_client(
    account_url: str | None,
    container: str,
    *,
    credential: Any = None,
    connection_string: str | None = None,
    retry: Any = None,
    connection_timeout: float = 20,
    read_timeout: float = 120,
) -> ContainerClient:
    """A ContainerClient with hygge's transfer sizes, timeouts and retry policy."""
    blob = azure_blob()
    options: dict[str, Any] = {
        "retry_policy": retry if retry is not None else retry_policy(),
        "max_single_put_size": SINGLE_PUT_SIZE,
        "max_block_size": BLOCK_SIZE,
        "max_single_get_size": CHUNK_SIZE,
        "max_chunk_get_size": CHUNK_SIZE,
        "connection_timeout": connection_timeout,
        "read_timeout": read_timeout,
    }
    if connection_string is not None:
        client = blob.ContainerClient.from_connection_string(
            connection_string, container, credential=credential, **options
        )
    else:
        if not account_url:
            raise ConfigError("an Azure blob location needs an account_url")
        client = blob.ContainerClient(account_url, container, credential=credential, **options)
    return client  # type: ignore[no-any-return]


def account_name(account_url: str) -> str:
    """The account in a blob endpoint: the host's first label, or the first path segment of an
    emulator's address (http://127.0.0.1:10000/devstoreaccount1)."""
    parts = urlsplit(account_url)
    host = parts.hostname or ""
    if host in ("localhost", "127.0.0.1", "::1") or host.replace(".", "").isdigit():
        return parts.path.strip("/").split("/")[0]
    return host.split(".")[0]


_BLOB_HOSTS = {
    ".dfs.core.windows.net": ".blob.core.windows.net",
    ".dfs.fabric.microsoft.com": ".blob.fabric.microsoft.com",
}


def blob_endpoint(account_url: str) -> str:
    """The blob endpoint of an account address: ADLS Gen2's `<account>.dfs.core.windows.net`
    and OneLake's `onelake.dfs.fabric.microsoft.com` serve the same data through the blob API
    at `.blob.`, which hygge uses (and Azurite serves); any other address unchanged."""
    parts = urlsplit(account_url)
    host = parts.hostname or ""
    for dfs, blob in _BLOB_HOSTS.items():
        if host.endswith(dfs):
            netloc = parts.netloc.replace(host, host[: -len(dfs)] + blob, 1)
            return parts._replace(netloc=netloc).geturl()
    return account_url


def is_onelake(account_url: str) -> bool:
    """Whether the address is Microsoft Fabric's OneLake (Entra ID only, workspace roles)."""
    return (urlsplit(account_url).hostname or "").endswith(".fabric.microsoft.com")
