"""Azure blob storage (Blob, ADLS Gen2 and OneLake through the blob API) as an ObjectStorage.

Keys live under a prefix inside one container: `BlobStorage(client, "landing/sales")` reads
`landing/sales/<key>`. Every `azure.*` import happens inside a function, so loading this module
(and `hygge --help`) never imports the SDK.

- Writes are whole: up to `single_put_size` one Put Blob, above it blocks uploaded in parallel
  and committed by one Put Block List, with `If-None-Match: *` (if_absent) or `If-Match: <etag>`
  (if_match) on that last request.
- Reads stream in chunks of `chunk_size`, every chunk after the first pinned to the first one's
  ETag: a blob replaced during a read fails the read instead of mixing two versions.
- Transient failures (408, 5xx, timeouts, connection resets) are retried by the SDK's own
  exponential retry policy; what still fails becomes a HyggeError that names the account, the
  container and the blob, and never carries a credential.
"""

from __future__ import annotations

import io
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, NoReturn
from urllib.parse import urlsplit

from hygge.errors import ConfigError, DataError, HyggeError, MissingDependencyError, RetryableError
from hygge.storage.base import (
    Data,
    ObjectInfo,
    PreconditionFailedError,
    StorageCapabilities,
    UnsupportedOperationError,
    check_key,
    is_hidden_key,
    join_key,
    under,
)

if TYPE_CHECKING:
    from azure.storage.blob import BlobClient, ContainerClient
    from pydantic import SecretStr

    from hygge.connections import AzureBlobConnection

_CAPABILITIES = StorageCapabilities(
    atomic_rename=False, atomic_exchange=False, durable_fsync=True, local_paths=False
)
MiB = 1024 * 1024
SINGLE_PUT_SIZE = 8 * MiB  # one request up to this size; above it, parallel blocks
BLOCK_SIZE = 8 * MiB
CHUNK_SIZE = 4 * MiB  # a streaming read holds about one chunk
CONCURRENCY = 8  # blocks in flight per put (memory: CONCURRENCY x BLOCK_SIZE for a stream)
DELETE_THREADS = 8
COPY_TIMEOUT = 600.0  # seconds a server-side copy may stay pending
ROLE_WRITE = "Storage Blob Data Contributor"
ROLE_READ = "Storage Blob Data Reader"
_TRANSIENT_CODES = frozenset({"ServerBusy", "OperationTimedOut", "InternalError"})
_SIGNATURE = re.compile(r"(?i)\b(sig|signature)=[^&\s\"']+")


class _HideSignatures(logging.Filter):
    """Replaces SAS signatures in a record's text: urllib3 logs whole request URLs at DEBUG
    (the SDK's own loggers redact them already)."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if _SIGNATURE.search(text):
            record.msg, record.args = _SIGNATURE.sub(r"\1=REDACTED", text), ()
        return True


def _hide_signatures_in_logs() -> None:
    logger = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(each, _HideSignatures) for each in logger.filters):
        logger.addFilter(_HideSignatures())


def _azure() -> Any:
    """The azure.storage.blob module; MissingDependencyError naming the extra when absent."""
    try:
        import azure.storage.blob as blob_module
    except ImportError as error:
        raise MissingDependencyError("azure-storage-blob", "azure") from error
    return blob_module


def retry_policy(*, total: int = 5, initial_backoff: int = 2, increment_base: int = 3) -> Any:
    """The SDK's exponential retry: waits about 2, 5, 11, 29, 83 s between attempts."""
    return _azure().ExponentialRetry(
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
    blob = _azure()
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


def _mtime_ns(moment: datetime | None) -> int:
    return int(moment.timestamp()) * 1_000_000_000 if moment is not None else 0


class _BlobReader(io.RawIOBase):
    """A forward-only stream over a download: holds the chunk being read, no more."""

    def __init__(self, downloader: Any, on_error: Callable[[Exception], NoReturn]) -> None:
        super().__init__()
        self._chunks: Iterator[bytes] = downloader.chunks()
        self._buffer = memoryview(b"")
        self._on_error = on_error

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        view = memoryview(target).cast("B")
        while not self._buffer:
            try:
                chunk = next(self._chunks, None)
            except Exception as error:
                self._on_error(error)
            if chunk is None:
                return 0
            self._buffer = memoryview(chunk)
        count = min(len(view), len(self._buffer))
        view[:count] = self._buffer[:count]
        self._buffer = self._buffer[count:]
        return count


class BlobStorage:
    """The container of `client`, under `prefix`; keys are blob names relative to the prefix.

    `identity` says who is calling (e.g. "DefaultAzureCredential", "the account key") so an
    access-denied error can name it; it never holds a secret.
    """

    capabilities = _CAPABILITIES

    def __init__(
        self,
        client: ContainerClient,
        prefix: str = "",
        *,
        identity: str = "the configured credential",
        concurrency: int = CONCURRENCY,
        source_sas: str | None = None,
    ) -> None:
        self.client = client
        self.prefix = check_key(prefix.strip("/"))
        self.container = str(client.container_name)
        self.account = str(client.account_name or "")
        self.identity = identity
        self.concurrency = concurrency
        self._source_sas = source_sas  # a SAS credential also authorises a copy's source URL
        self.label = f"az://{join_key(self.container, self.prefix)}"
        _hide_signatures_in_logs()

    @classmethod
    def connect(
        cls,
        account_url: str | None,
        container: str,
        prefix: str = "",
        *,
        credential: Any = None,
        connection_string: str | None = None,
        identity: str = "the configured credential",
        retry: Any = None,
        source_sas: str | None = None,
    ) -> BlobStorage:
        """A BlobStorage on a new client (see `container_client`)."""
        client = container_client(
            account_url,
            container,
            credential=credential,
            connection_string=connection_string,
            retry=retry,
        )
        return cls(client, prefix, identity=identity, source_sas=source_sas)

    # -- names -------------------------------------------------------------------------------

    def _name(self, key: str) -> str:
        return join_key(self.prefix, check_key(key))

    def _key(self, name: str) -> str:
        return name[len(self.prefix) + 1 :] if self.prefix else name

    def describe(self, key: str) -> str:
        return f"az://{join_key(self.container, self.prefix, key)}"

    def local_path(self, key: str) -> Path | None:
        return None

    def _blob(self, key: str) -> BlobClient:
        return self.client.get_blob_client(self._name(key))

    # -- errors ------------------------------------------------------------------------------

    def _where(self) -> str:
        return f"container '{self.container}' of storage account '{self.account}'"

    def _fail(self, error: Exception, action: str, key: str | None = None) -> NoReturn:
        """Raise the HyggeError for an SDK error; never chains it (its text may carry URLs)."""
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
        what = self.describe(key) if key is not None else self.label
        status = getattr(error, "status_code", None)
        code = _code(error)
        request_id = _request_id(error)
        detail = f"HTTP {status}" if status else type(error).__name__
        detail += f" {code}" if code else ""
        detail += f", request id {request_id}" if request_id else ""
        if isinstance(error, ClientAuthenticationError) or status in (401, 403):
            raise ConfigError(
                f"storage account '{self.account}' refused to {action} {what} for "
                f"{self.identity} ({detail}): no access to the {self._where()}",
                hint=f"grant it the role '{ROLE_WRITE}' on the container or account (or "
                f"'{ROLE_READ}' where hygge only reads); a key or SAS must be valid, unexpired "
                "and allow this operation",
            ) from None
        naming = _container_name_problem(self.container)
        if status == 400 and code in _NAME_CODES and naming is not None:
            raise ConfigError(
                f"cannot {action} {what}: the container name '{self.container}' {naming} "
                f"({detail})",
                hint="a container name is 3 to 63 lowercase letters, digits and single "
                "hyphens, starting and ending with a letter or digit: fix `container` in the "
                "connection, the state block or the az:// location",
            ) from None
        if code == "ContainerNotFound" or (
            isinstance(error, ResourceNotFoundError) and key is None
        ):
            raise ConfigError(
                f"cannot {action} {what}: there is no {self._where()}",
                hint=f"create the container '{self.container}', or fix the container name in "
                "the connection or the az:// location",
            ) from None
        if isinstance(error, ServiceRequestError | ServiceResponseError) or (
            isinstance(error, HttpResponseError)
            and (status in (408, 429) or (status or 0) >= 500 or code in _TRANSIENT_CODES)
        ):
            raise RetryableError(
                f"could not {action} {what} on {self.client.url.split('?')[0]} after retries "
                f"({detail}); the service or the network is failing, try again"
            ) from None
        raise HyggeError(f"could not {action} {what} ({detail})") from None

    def _is_missing_blob(self, error: Exception) -> bool:
        from azure.core.exceptions import ResourceNotFoundError

        code = _code(error)
        return isinstance(error, ResourceNotFoundError) and code != "ContainerNotFound"

    # -- reading -----------------------------------------------------------------------------

    def _info(self, key: str, properties: Any) -> ObjectInfo:
        return ObjectInfo(
            key=key,
            size=int(properties.size),
            mtime_ns=_mtime_ns(properties.last_modified),
            version=str(properties.etag),
        )

    def list(
        self, prefix: str = "", *, recursive: bool = True, skip_hidden: bool = False
    ) -> Iterator[ObjectInfo]:
        prefix = check_key(prefix.strip("/"))
        start = join_key(self.prefix, prefix)
        start = f"{start}/" if start else ""
        infos: list[ObjectInfo] = []
        items: Iterable[Any]
        try:
            if recursive:
                items = self.client.list_blobs(name_starts_with=start, include=["metadata"])
            else:
                items = self.client.walk_blobs(
                    name_starts_with=start, include=["metadata"], delimiter="/"
                )
            for item in items:
                if not hasattr(item, "size") or _is_folder(item):
                    continue  # a sub-prefix (walk_blobs) or an ADLS directory entry
                key = self._key(str(item.name))
                rest = key[len(prefix) + 1 :] if prefix else key
                if (skip_hidden and is_hidden_key(rest)) or not under(prefix, key):
                    continue
                infos.append(self._info(key, item))
        except Exception as error:
            self._fail(error, "list", prefix)
        # The service lists in name order; sorted here too, as ADLS directory order can differ.
        yield from sorted(infos, key=lambda info: info.key)

    def stat(self, key: str) -> ObjectInfo | None:
        blob = self._blob(key)
        try:
            properties = blob.get_blob_properties()
        except Exception as error:
            if self._is_missing_blob(error):
                return None
            self._fail(error, "read the properties of", key)
        if _is_folder(properties):
            return None
        return self._info(key, properties)

    def _download(self, key: str, **options: Any) -> Any:
        try:
            return self._blob(key).download_blob(max_concurrency=1, **options)
        except Exception as error:
            if self._is_missing_blob(error):
                raise FileNotFoundError(f"{self.describe(key)} does not exist") from None
            self._fail(error, "read", key)

    def open_read(self, key: str) -> BinaryIO:
        downloader = self._download(key)

        def failed(error: Exception) -> NoReturn:
            from azure.core.exceptions import ResourceModifiedError

            if isinstance(error, ResourceModifiedError) or getattr(error, "status_code", 0) == 412:
                raise DataError(
                    f"{self.describe(key)} changed while hygge read it; read it again"
                ) from None
            self._fail(error, "read", key)

        return io.BufferedReader(_BlobReader(downloader, failed), buffer_size=256 * 1024)

    def read_range(self, key: str, start: int, length: int) -> bytes:
        if length <= 0:
            return b""
        try:
            download = self._blob(key).download_blob(offset=start, length=length)
            return bytes(download.readall())
        except Exception as error:
            if getattr(error, "status_code", None) == 416:  # the range starts past the end
                return b""
            if self._is_missing_blob(error):
                raise FileNotFoundError(f"{self.describe(key)} does not exist") from None
            self._fail(error, "read", key)

    # -- writing -----------------------------------------------------------------------------

    def put(
        self, key: str, data: Data, *, if_absent: bool = False, if_match: str | None = None
    ) -> ObjectInfo:
        from azure.core import MatchConditions

        blob = self._blob(key)
        conditions: dict[str, Any] = {}
        if if_absent:
            conditions = {"match_condition": MatchConditions.IfMissing}
        elif if_match is not None:
            conditions = {"etag": if_match, "match_condition": MatchConditions.IfNotModified}
        body, length = _sized(data)
        try:
            result = blob.upload_blob(
                body,
                length=length,
                overwrite=True,
                max_concurrency=self.concurrency,
                **conditions,
            )
        except Exception as error:
            self._refuse(error, key, if_absent=if_absent, if_match=if_match)
            self._fail(error, "write", key)
        size = length if length is not None else body.count
        return ObjectInfo(
            key=key,
            size=size,
            mtime_ns=_mtime_ns(result.get("last_modified")),
            version=str(result["etag"]),
        )

    def _refuse(self, error: Exception, key: str, *, if_absent: bool, if_match: str | None) -> None:
        """PreconditionFailedError when `error` is a lost condition."""
        from azure.core.exceptions import (
            ResourceExistsError,
            ResourceModifiedError,
            ResourceNotFoundError,
        )

        code = _code(error)
        if if_absent and (
            isinstance(error, ResourceExistsError | ResourceModifiedError)
            or code in ("BlobAlreadyExists", "ConditionNotMet")
        ):
            raise PreconditionFailedError(f"{self.describe(key)} already exists") from None
        if if_match is not None and code != "ContainerNotFound":
            lost = isinstance(error, ResourceModifiedError | ResourceNotFoundError)
            if lost or code in ("ConditionNotMet", "BlobNotFound"):
                raise PreconditionFailedError(
                    f"{self.describe(key)} is not at version {if_match}: another writer "
                    "changed or deleted it"
                ) from None

    def copy(self, src: str, dst: str) -> ObjectInfo:
        source = self._blob(src)
        target = self._blob(dst)
        try:
            url = source.url
            if self._source_sas and "?" not in url:
                url = f"{url}?{self._source_sas}"
            copy = target.start_copy_from_url(url)
            status = copy.get("copy_status")
            deadline = time.monotonic() + COPY_TIMEOUT
            while status == "pending":
                if time.monotonic() > deadline:
                    target.abort_copy(str(copy["copy_id"]))
                    raise HyggeError(
                        f"copying {self.describe(src)} to {self.describe(dst)} was still pending "
                        f"after {COPY_TIMEOUT:.0f} s; it was aborted"
                    )
                time.sleep(0.2)
                status = target.get_blob_properties().copy.status
        except HyggeError:
            raise
        except Exception as error:
            if self._is_missing_blob(error):
                raise FileNotFoundError(f"{self.describe(src)} does not exist") from None
            self._fail(error, f"copy {self.describe(src)} to", dst)
        if status != "success":
            raise HyggeError(
                f"copying {self.describe(src)} to {self.describe(dst)} ended as '{status}'"
            )
        info = self.stat(dst)
        if info is None:
            raise HyggeError(f"{self.describe(dst)} vanished right after it was copied")
        return info

    def delete(self, key: str, *, synced: bool = True) -> None:
        # `synced` is for disks: a finished blob delete is durable either way.
        self._delete_name(self._name(key), key)

    def _delete_name(self, name: str, key: str) -> bool:
        try:
            self.client.delete_blob(name, delete_snapshots="include")
        except Exception as error:
            if self._is_missing_blob(error):
                return False
            self._fail(error, "delete", key)
        return True

    def delete_prefix(self, prefix: str) -> int:
        prefix = check_key(prefix.strip("/"))
        keys = [info.key for info in self.list(prefix)]
        if not keys:
            return 0
        with ThreadPoolExecutor(max_workers=min(DELETE_THREADS, len(keys))) as pool:
            deleted = pool.map(lambda key: self._delete_name(self._name(key), key), keys)
            return sum(deleted)

    def rename(self, src: str, dst: str, *, no_replace: bool = True, synced: bool = True) -> None:
        raise UnsupportedOperationError(
            f"{self.label} is blob storage: it cannot rename (publish by copy, then delete)"
        )

    def exchange(self, a: str, b: str) -> None:
        raise UnsupportedOperationError(f"{self.label} is blob storage: it cannot swap prefixes")


class _Counting(io.RawIOBase):
    """A non-seekable reader that counts the bytes read through it (a stream of unknown size)."""

    def __init__(self, inner: BinaryIO) -> None:
        super().__init__()
        self.inner = inner
        self.count = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self.inner.read(size)
        self.count += len(chunk)
        return chunk

    def readinto(self, target: Any) -> int:
        chunk = self.read(len(target))
        target[: len(chunk)] = chunk
        return len(chunk)


def _sized(data: Data) -> tuple[Any, int | None]:
    """The body to upload and its length: bytes and seekable streams know it, others count."""
    if isinstance(data, bytes | bytearray | memoryview):
        return data, len(data)
    try:
        if data.seekable():
            here = data.tell()
            end = data.seek(0, io.SEEK_END)
            data.seek(here)
            return data, end - here
    except (AttributeError, OSError, ValueError):
        pass
    return _Counting(data), None


def _is_folder(item: Any) -> bool:
    """An ADLS Gen2 directory entry (a zero-length blob marked hdi_isfolder)."""
    metadata = getattr(item, "metadata", None) or {}
    return str(metadata.get("hdi_isfolder", "")).lower() == "true"


_NAME_CODES = frozenset({"InvalidResourceName", "OutOfRangeInput"})
_CONTAINER_NAME = re.compile(r"[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}")
_SPECIAL_CONTAINERS = frozenset({"$root", "$web", "$logs"})


def _container_name_problem(name: str) -> str | None:
    """Why Azure would refuse `name` as a container name (None when it would not): the
    service answers such a name with a bare HTTP 400 that names nothing."""
    if name in _SPECIAL_CONTAINERS or _CONTAINER_NAME.fullmatch(name):
        return None
    if not 3 <= len(name) <= 63:
        return f"has {len(name)} characters, not 3 to 63"
    return "may hold only lowercase letters, digits and single hyphens between them"


def _code(error: Exception) -> str | None:
    """The service's error code ("BlobNotFound"), from the error or its response headers."""
    code = getattr(error, "error_code", None)
    if code is not None:
        return str(getattr(code, "value", code))
    return _header_code(error)


def _header_code(error: Exception) -> str | None:
    response = getattr(error, "response", None)
    headers = getattr(response, "headers", None) or {}
    code = headers.get("x-ms-error-code")
    return str(code) if code else None


def _request_id(error: Exception) -> str | None:
    response = getattr(error, "response", None)
    headers = getattr(response, "headers", None) or {}
    found = headers.get("x-ms-request-id")
    return str(found) if found else None


def account_name(account_url: str) -> str:
    """The account in a blob endpoint: the host's first label, or the first path segment of an
    emulator's address (http://127.0.0.1:10000/devstoreaccount1)."""
    parts = urlsplit(account_url)
    host = parts.hostname or ""
    if host in ("localhost", "127.0.0.1", "::1") or host.replace(".", "").isdigit():
        return parts.path.strip("/").split("/")[0]
    return host.split(".")[0]


def open_connection(
    connection: AzureBlobConnection, name: str, secrets: Mapping[str, SecretStr]
) -> BlobStorage:
    """The connection's container as a BlobStorage; `secrets` are its resolved `${VAR}`s.

    Secret values go into the SDK's credential objects only; `identity` (shown in errors)
    names the kind of credential and non-secret ids, never a value."""
    if not connection.container:
        raise ConfigError(
            f"connection '{name}' names no container; a file home or store on it needs one",
            hint=f"set connections.{name}.container in hygge.yml",
        )

    def secret(field: str) -> str:
        return secrets[field].get_secret_value()

    url = connection.account_url or ""
    account = account_name(url) if url else ""
    kind = connection.credential
    credential: Any = None
    connection_string: str | None = None
    source_sas: str | None = None
    if kind == "connection_string":
        connection_string = secret("connection_string")
        identity = f"the connection string in {connection.connection_string} of connection '{name}'"
    elif kind in ("key", "storage_key"):
        from azure.core.credentials import AzureNamedKeyCredential

        field = "key" if kind == "key" else "storage_account_key"
        credential = AzureNamedKeyCredential(account, secret(field))
        identity = (
            f"the account key in {getattr(connection, field)} of '{account}' (connection '{name}')"
        )
    elif kind == "sas":
        from azure.core.credentials import AzureSasCredential

        source_sas = secret("sas").lstrip("?")
        credential = AzureSasCredential(source_sas)
        identity = f"the SAS token in {connection.sas} of connection '{name}'"
    else:
        credential, identity = _identity_credential(connection, name, secrets)
    return BlobStorage.connect(
        url or None,
        connection.container,
        credential=credential,
        connection_string=connection_string,
        identity=identity,
        source_sas=source_sas,
    )


def _identity_credential(
    connection: AzureBlobConnection, name: str, secrets: Mapping[str, SecretStr]
) -> tuple[Any, str]:
    """An Entra ID credential (azure-identity) and the words that name it."""
    try:
        import azure.identity as identity_module
    except ImportError as error:
        raise MissingDependencyError("azure-identity", "azure") from error
    if connection.credential == "service_principal":
        credential: Any = identity_module.ClientSecretCredential(
            str(connection.tenant_id),
            str(connection.client_id),
            secrets["client_secret"].get_secret_value(),
        )
        return credential, (
            f"the service principal {connection.client_id} of tenant {connection.tenant_id} "
            f"(connection '{name}')"
        )
    if connection.credential == "managed_identity":
        client_id = connection.client_id
        credential = identity_module.ManagedIdentityCredential(client_id=client_id)
        which = f"the managed identity {client_id}" if client_id else "the managed identity"
        return credential, f"{which} (connection '{name}')"
    return identity_module.DefaultAzureCredential(), (
        f"DefaultAzureCredential (managed identity, environment or az login; connection '{name}')"
    )
