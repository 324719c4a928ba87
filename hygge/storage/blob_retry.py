"""The retry policy of hygge's blob clients: the SDK's exponential retry, which also retries 429.

The SDK's storage retry policy retries 408, 5xx (but 501 and 505), timeouts and dropped
connections with exponential backoff, but answers 429 Too Many Requests at once (Azure
Storage throttles with 503; OneLake and proxies in front of storage use 429). `BlobRetry` runs
the SDK's policy over a step that raises the 429 as an error, which the SDK then retries with
the same backoff (rewinding the request body as for any retry); when the retries are spent,
the last 429 answer goes back to the caller, whose error handling sees the service's own
response. This module imports the SDK: it is loaded only when a blob client is built.
"""

from __future__ import annotations

from typing import Any

from azure.core.exceptions import HttpResponseError
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import HTTPPolicy
from azure.storage.blob import ExponentialRetry

TOO_MANY_REQUESTS = 429


class _ThrottledError(HttpResponseError):
    """A 429 answer, raised so the SDK's retry policy retries it."""

    def __init__(self, answer: PipelineResponse[Any, Any]) -> None:
        super().__init__(message="429 Too Many Requests", response=answer.http_response)
        self.answer = answer


class _RaiseOnThrottle(HTTPPolicy[Any, Any]):
    """Below the SDK's retry: sends on down the pipeline, raising a 429 answer."""

    def __init__(self, above: BlobRetry) -> None:
        super().__init__()
        self._above = above

    def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        answer = self._above.next.send(request)
        if answer.http_response.status_code == TOO_MANY_REQUESTS:
            raise _ThrottledError(answer)
        return answer


class BlobRetry(HTTPPolicy[Any, Any]):
    """`ExponentialRetry(**options)` that retries 429 Too Many Requests like a 503."""

    def __init__(self, **options: Any) -> None:
        super().__init__()
        self.retry = ExponentialRetry(**options)
        self.retry.next = _RaiseOnThrottle(self)

    def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        try:
            return self.retry.send(request)  # type: ignore[no-untyped-call,no-any-return]
        except _ThrottledError as throttled:
            return throttled.answer
