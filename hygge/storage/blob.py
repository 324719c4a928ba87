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
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, NoReturn

from hygge.errors import DataError, HyggeError
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
from hygge.storage.blob_client import (
    BLOCK_SIZE,
    CONCURRENCY,
    account_name,
    container_client,
    hide_signatures_in_logs,
    is_onelake,
    retry_policy,
)
from hygge.storage.blob_errors import BlobErrors, is_missing_blob
from hygge.storage.blob_streams import BlobReader, sized

if TYPE_CHECKING:
    from azure.storage.blob import BlobClient, ContainerClient

__all__ = ["BLOCK_SIZE", "BlobStorage", "account_name", "container_client", "retry_policy"]

_CAPABILITIES = StorageCapabilities(
    atomic_rename=False, atomic_exchange=False, durable_fsync=True, local_paths=False
)
DELETE_THREADS = 8
COPY_TIMEOUT = 600.0  # seconds a server-side copy may stay pending


def _if_unmodified() -> Any:
    from azure.core import MatchConditions

    return MatchConditions.IfNotModified


def _quoted(etag: str) -> str:
    """An ETag as the service sends it in headers (quoted): a listing gives it bare, so the
    same version would otherwise compare unequal to what stat and put give."""
    return etag if etag.startswith('"') else f'"{etag}"'


def _mtime_ns(moment: datetime | None) -> int:
    return int(moment.timestamp()) * 1_000_000_000 if moment is not None else 0


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
        url = str(client.url).split("?")[0]
        self.endpoint = str(client.primary_endpoint).split("?")[0].rsplit("/", 1)[0]
        self.errors = BlobErrors(self.account, self.container, identity, url, is_onelake(url))
        hide_signatures_in_logs()

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

    def address(self, key: str) -> str:
        """The blob endpoint's URL (account and host; never a SAS) with the container and key."""
        return f"{self.endpoint}/{join_key(self.container, self.prefix, key)}"

    def local_path(self, key: str) -> Path | None:
        return None

    def _blob(self, key: str) -> BlobClient:
        return self.client.get_blob_client(self._name(key))

    # -- errors ------------------------------------------------------------------------------

    def _fail(self, error: Exception, action: str, key: str | None = None) -> NoReturn:
        """Raise the HyggeError for an SDK error (`hygge.storage.blob_errors`)."""
        what = self.describe(key) if key is not None else self.label
        self.errors.fail(error, action, what, on_blob=key is not None)

    # -- reading -----------------------------------------------------------------------------

    def _info(self, key: str, properties: Any) -> ObjectInfo:
        return ObjectInfo(
            key=key,
            size=int(properties.size),
            mtime_ns=_mtime_ns(properties.last_modified),
            version=_quoted(str(properties.etag)),
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
            if is_missing_blob(error):
                return None
            self._fail(error, "read the properties of", key)
        if _is_folder(properties):
            return None
        return self._info(key, properties)

    def _download(self, key: str, **options: Any) -> Any:
        try:
            return self._blob(key).download_blob(max_concurrency=1, **options)
        except Exception as error:
            if is_missing_blob(error):
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

        return io.BufferedReader(BlobReader(downloader, failed), buffer_size=256 * 1024)

    def read_range(self, key: str, start: int, length: int) -> bytes:
        if length <= 0:
            return b""
        try:
            download = self._blob(key).download_blob(offset=start, length=length)
            return bytes(download.readall())
        except Exception as error:
            if getattr(error, "status_code", None) == 416:  # the range starts past the end
                return b""
            if is_missing_blob(error):
                raise FileNotFoundError(f"{self.describe(key)} does not exist") from None
            self._fail(error, "read", key)

    # -- writing -----------------------------------------------------------------------------

    def put(
        self,
        key: str,
        data: Data,
        *,
        if_absent: bool = False,
        if_match: str | None = None,
        synced: bool = True,  # an upload is durable when it returns
    ) -> ObjectInfo:
        from azure.core import MatchConditions

        blob = self._blob(key)
        conditions: dict[str, Any] = {}
        if if_absent:
            conditions = {"match_condition": MatchConditions.IfMissing}
        elif if_match is not None:
            conditions = {"etag": if_match, "match_condition": MatchConditions.IfNotModified}
        body, length = sized(data)
        try:
            result = blob.upload_blob(
                body,
                length=length,
                overwrite=True,
                max_concurrency=self.concurrency,
                **conditions,
            )
        except Exception as error:
            try:
                self.errors.refuse(
                    error, self.describe(key), if_absent=if_absent, if_match=if_match
                )
            except PreconditionFailedError:
                repeated = self._repeated_put(key, data)
                if repeated is None:
                    raise
                return repeated
            self._fail(error, "write", key)
        size = length if length is not None else body.count
        return ObjectInfo(
            key=key,
            size=size,
            mtime_ns=_mtime_ns(result.get("last_modified")),
            version=str(result["etag"]),
        )

    def _repeated_put(self, key: str, data: Data) -> ObjectInfo | None:
        """The blob, when a refused conditional put of bytes finds exactly them there: the SDK
        repeats a request whose response was lost, and the write it repeats refuses the retry.
        (Another writer's identical bytes leave the blob as this put wanted it, too.)"""
        if not isinstance(data, bytes):
            return None  # a stream was consumed by the attempt: nothing to compare
        info = self.stat(key)
        if info is None or info.size != len(data):
            return None
        try:
            stored = self._download(key, etag=info.version, match_condition=_if_unmodified())
            same = bytes(stored.readall()) == data
        except (FileNotFoundError, HyggeError):
            return None
        return info if same else None

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
            if is_missing_blob(error):
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
            if is_missing_blob(error):
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

    def exchange(self, a: str, b: str, *, synced: bool = True) -> None:
        raise UnsupportedOperationError(f"{self.label} is blob storage: it cannot swap prefixes")


def _is_folder(item: Any) -> bool:
    """An ADLS Gen2 directory entry (a zero-length blob marked hdi_isfolder)."""
    metadata = getattr(item, "metadata", None) or {}
    return str(metadata.get("hdi_isfolder", "")).lower() == "true"
