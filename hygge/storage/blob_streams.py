"""The byte streams BlobStorage reads and uploads through: a download read chunk by chunk,
and an upload body with its length (counted when the stream cannot tell it)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO, NoReturn

from hygge.storage.base import Data


class BlobReader(io.RawIOBase):
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


def sized(data: Data) -> tuple[Any, int | None]:
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
