"""One blob transfer, timed in-process after the imports; writes {"seconds", "peak_mib"} to OUT.

Usage: blob_op.py OUT hygge|raw put|get CONTAINER KEY FILE
The connection string comes from HYGGE_BENCH_AZ. `hygge` goes through hygge's BlobStorage
(what stores and homes use), `raw` through the SDK's own upload_blob / download_blob with its
defaults: the same bytes, the same Azurite, the same process shape.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from measure import peak_rss_mib

CHUNK = 4 * 1024 * 1024


def _hygge(op: str, container: str, key: str, file: Path) -> float:
    from hygge.storage.blob import BlobStorage, container_client

    client = container_client(None, container, connection_string=os.environ["HYGGE_BENCH_AZ"])
    storage = BlobStorage(client)
    started = time.perf_counter()
    if op == "put":
        with file.open("rb") as data:
            storage.put(key, data)
    else:
        with storage.open_read(key) as handle, file.open("wb") as out:
            while piece := handle.read(CHUNK):
                out.write(piece)
    return time.perf_counter() - started


def _raw(op: str, container: str, key: str, file: Path) -> float:
    from azure.storage.blob import BlobServiceClient

    service = BlobServiceClient.from_connection_string(os.environ["HYGGE_BENCH_AZ"])
    blob = service.get_blob_client(container, key)
    started = time.perf_counter()
    if op == "put":
        with file.open("rb") as data:
            blob.upload_blob(data, overwrite=True)
    else:
        with file.open("wb") as out:
            blob.download_blob().readinto(out)
    return time.perf_counter() - started


def main() -> None:
    out, side, op, container, key, file = sys.argv[1:7]
    transfer = _hygge if side == "hygge" else _raw
    seconds = transfer(op, container, key, Path(file))
    Path(out).write_text(json.dumps({"seconds": seconds, "peak_mib": peak_rss_mib()}))


if __name__ == "__main__":
    main()
