"""An HTTP proxy in front of Azurite that fails chosen requests, to test retries for real.

    with FlakyProxy(azurite.port, fail=2, how="503") as proxy:
        storage = BlobStorage.connect(proxy.account_url, ...)
        ...
        proxy.failed, proxy.forwarded

The first `fail` requests get the failure, never reaching Azurite: an HTTP answer (`how` =
"503" ServerBusy, "500" InternalError, "429" Too Many Requests, "403" AuthorizationFailure,
"404" BlobNotFound), "reset" (the connection closed with no answer) or "slow" (no answer for
`delay` seconds: a client's read timeout). The rest are forwarded unchanged (the signature
covers the path, not the host).
"""

from __future__ import annotations

import http.client
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from tests.support.azurite import ACCOUNT

# The answer of each failing HTTP status: the service's error code and reason.
ANSWERS = {
    "503": ("ServerBusy", "Server Busy"),
    "500": ("InternalError", "Internal Server Error"),
    "429": ("TooManyRequests", "Too Many Requests"),
    "403": ("AuthorizationPermissionMismatch", "Forbidden"),
    "404": ("BlobNotFound", "Not Found"),
}


class FlakyProxy:
    def __init__(
        self, target_port: int, *, fail: int, how: str = "503", delay: float = 3.0
    ) -> None:
        self.target_port = target_port
        self.delay = delay
        self.remaining = fail
        self.how = how
        self.failed = 0
        self.forwarded = 0
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with proxy._lock:
                    failing = proxy.remaining > 0
                    if failing:
                        proxy.remaining -= 1
                        proxy.failed += 1
                    else:
                        proxy.forwarded += 1
                if failing and proxy.how == "reset":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if failing and proxy.how == "slow":
                    time.sleep(proxy.delay)
                    self.close_connection = True
                    return
                if failing:
                    code, reason = ANSWERS[proxy.how]
                    message = reason.encode()
                    self.send_response(int(proxy.how), reason)
                    self.send_header("x-ms-error-code", code)
                    self.send_header("x-ms-request-id", "req-0001")
                    self.send_header("Content-Length", str(len(message)))
                    self.end_headers()
                    self.wfile.write(message)
                    return
                upstream = http.client.HTTPConnection("127.0.0.1", proxy.target_port, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                upstream.request(self.command, self.path, body=body, headers=headers)
                response = upstream.getresponse()
                data = response.read()
                self.send_response(response.status, response.reason)
                for key, value in response.getheaders():
                    if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(key, value)
                length = response.getheader("Content-Length") if self.command == "HEAD" else None
                self.send_header("Content-Length", length or str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                upstream.close()

            do_GET = do_PUT = do_HEAD = do_DELETE = do_POST = _handle  # noqa: N815

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def account_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/{ACCOUNT}"

    def __enter__(self) -> FlakyProxy:
        self.thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.server.shutdown()
        self.server.server_close()
