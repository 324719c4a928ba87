"""Reader and writer overlap through a bounded queue.

The home is read on a background thread while the calling thread polishes and stages batches,
so I/O on both sides overlaps and memory stays O(batch_size x queue_size) whatever the table size.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Generic, TypeVar

T = TypeVar("T")

log = logging.getLogger("hygge.engine")

STOP_TIMEOUT = 30.0
"""Seconds `Prefetch.close` waits for the reader thread to stop before leaving it behind."""

_END = object()


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class Prefetch(Generic[T]):
    """Iterate `source()` on a reader thread, at most `depth` items ahead of the consumer.

    Use as a context manager: leaving it early stops the reader and frees the queue.
    """

    def __init__(
        self,
        source: Callable[[], Iterator[T]],
        depth: int,
        name: str,
        *,
        stop_timeout: float = STOP_TIMEOUT,
    ) -> None:
        self._source = source
        self._name = name
        self._stop_timeout = stop_timeout
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max(1, depth))
        self._stop = threading.Event()
        self._deadline: float | None = None  # when a stopping consumer stops waiting
        self._thread = threading.Thread(target=self._run, name=f"hygge-read-{name}", daemon=True)

    def __enter__(self) -> Prefetch[T]:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __iter__(self) -> Iterator[T]:
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item  # type: ignore[misc]

    def ended(self) -> bool:
        """Whether the reader has ended with every item it read taken: a consumer stopping at
        its budget then knows nothing is left. Waits for the read in flight, which `close`
        waits for anyway (within the same `stop_timeout`)."""
        self._deadline = self._deadline or time.monotonic() + self._stop_timeout
        with self._queue.not_empty:
            while not self._queue.queue:
                if not self._thread.is_alive() or time.monotonic() >= self._deadline:
                    return False
                self._queue.not_empty.wait(0.05)
            return self._queue.queue[0] is _END

    def close(self) -> None:
        """Stop the reader and wait for it, at most `stop_timeout`; read-ahead items are dropped.

        A reader stuck inside a read (a hung share or server) is left behind: it is a daemon
        thread, it hands nothing more to anyone, and the process can still exit.
        """
        self._stop.set()
        deadline = self._deadline or time.monotonic() + self._stop_timeout
        while self._thread.is_alive() and time.monotonic() < deadline:
            with contextlib.suppress(queue.Empty):
                self._queue.get(timeout=0.05)
        self._thread.join(timeout=max(0.0, deadline - time.monotonic()))
        if self._thread.is_alive():
            log.warning(
                "%s: the reader did not stop within %gs (stuck in a read of the home?); "
                "hygge goes on without it",
                self._name,
                self._stop_timeout,
            )

    def _run(self) -> None:
        iterator = self._source()
        try:
            for item in iterator:
                if not self._put(item):
                    return
            self._put(_END)
        except BaseException as error:  # handed to the consumer, which re-raises it
            self._put(_Failed(error))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False
