"""HTTP for connectors and write-back: timeouts, retries through `pilot.retry`, errors people can act on.

429 waits for Retry-After (seconds or an HTTP date); GitHub's 403 with `x-ratelimit-remaining: 0`
or a Retry-After is a rate limit too, and waits for `x-ratelimit-reset`. A wait longer than
`max_wait_s` is not slept through: it is an UPSTREAM_RATE_LIMITED error that says when to retry.
5xx and network errors back off exponentially; other 401/403 are a credentials error at once
(retrying would not help). Credentials travel in headers and never appear in an error message
or log line (messages name the method and path, never the query string or headers).

A POST or PATCH is not idempotent: it is retried only when the server certainly did not act on it
(the connection was never made, or a rate limit refused it). After a read timeout or a 5xx the
request may have been carried out, so the client raises an *ambiguous* error
(`details["ambiguous"]`) instead of sending it again; a caller that can look the result up (a
write-back searching for its label) decides whether to send it again (see `pilot.writeback.clients`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import httpx

from pilot.clock import system_clock
from pilot.domain.errors import ErrorCode, PilotError
from pilot.retry import RetryPolicy, Sleep, retry_after_seconds

Clock = Callable[[], datetime]
MAX_RETRY_AFTER_S = 120.0
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# Failures that happen before a request reaches the server: safe to send again, whatever the method.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

__all__ = ["Clock", "HttpClient", "Sleep", "is_ambiguous"]


def _utc_now() -> datetime:
    return system_clock()


def is_ambiguous(exc: BaseException) -> bool:
    """A failed non-idempotent request that the server may nevertheless have carried out."""
    return (
        isinstance(exc, PilotError) and isinstance(exc.details, dict) and bool(exc.details.get("ambiguous"))
    )


class _Retryable(Exception):
    """One attempt failed in a way worth retrying; `error` is what the caller sees if none is left."""

    def __init__(self, error: PilotError, wait_s: float | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.wait_s = wait_s


class HttpClient:
    def __init__(
        self,
        base_url: str,
        *,
        source: str,
        headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | tuple[str, str] | None = None,
        timeout_s: float = 30.0,
        max_retries: int = 4,
        backoff_s: float = 1.0,
        sleep: Sleep = time.sleep,
        clock: Clock = _utc_now,
        max_wait_s: float = MAX_RETRY_AFTER_S,
        credentials_hint: str = "",
        secret_path: bool = False,
    ) -> None:
        self.source = source
        self.secret_path = secret_path  # a Slack webhook's path is its credential: never echoed
        self.sleep = sleep
        self.clock = clock
        self.max_wait_s = max_wait_s
        self.credentials_hint = credentials_hint
        self.sleeps: list[float] = []
        self.policy = RetryPolicy(
            max_retries=max_retries, base_delay_s=backoff_s, max_delay_s=max_wait_s, sleep=self._wait
        )
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"), headers=dict(headers or {}), auth=auth, timeout=timeout_s
        )

    def close(self) -> None:
        self._client.close()

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        attempts = 0

        def attempt() -> httpx.Response:
            nonlocal attempts
            attempts += 1
            return self._attempt(method, url, attempts, kwargs)

        try:
            return self.policy.call(
                attempt,
                retry_on=lambda exc: isinstance(exc, _Retryable),
                requested_wait=lambda exc: exc.wait_s if isinstance(exc, _Retryable) else None,
            )
        except _Retryable as exc:
            raise exc.error from exc.__cause__

    def get_json(self, url: str, params: Mapping[str, Any] | None = None) -> tuple[Any, httpx.Response]:
        response = self.request("GET", url, params=params)
        return _json(response, self.source), response

    def post_json(self, url: str, body: Any) -> tuple[Any, httpx.Response]:
        response = self.request("POST", url, json=body)
        return (_json(response, self.source) if response.content else None), response

    def _attempt(self, method: str, url: str, attempt: int, kwargs: Mapping[str, Any]) -> httpx.Response:
        idempotent = method.upper() in IDEMPOTENT_METHODS
        try:
            response = self._client.request(method, url, **kwargs)
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            if not idempotent and not isinstance(exc, _NOT_SENT):
                raise self._ambiguous(method, url, type(exc).__name__, {}) from exc
            message = f"{self.source}: {type(exc).__name__} after {attempt} attempts"
            raise _Retryable(PilotError(ErrorCode.UPSTREAM_UNAVAILABLE, message)) from exc
        status = response.status_code
        if status < 400:
            return response
        limited = status == 429 or (status == 403 and _rate_limit_headers(response))
        if status in (401, 403) and not limited:
            what = "rejected" if status == 401 else "refused (no permission)"
            raise PilotError(
                ErrorCode.CREDENTIALS,
                f"{self.source}: the credentials were {what} (HTTP {status}); they may have expired "
                "or be invalid" + (f" - check {self.credentials_hint}" if self.credentials_hint else ""),
                details={"status": status},
            )
        if status == 404:
            raise PilotError(
                ErrorCode.NOT_FOUND, f"{self.source}: {self._where(method, response.url)} not found"
            )
        if not limited and status < 500:
            raise PilotError(
                ErrorCode.INVALID_INPUT,
                f"{self.source}: HTTP {status} from {self._where(method, response.url)}: {response.text[:300]}",
                details={"status": status},
            )
        if not limited and not idempotent:
            raise self._ambiguous(method, url, f"HTTP {status}", {"status": status})
        code = ErrorCode.UPSTREAM_RATE_LIMITED if limited else ErrorCode.UPSTREAM_UNAVAILABLE
        error = PilotError(
            code,
            f"{self.source}: HTTP {status} from {self._where(method, response.url)} after {attempt} attempts",
            details={"status": status},
        )
        delay = retry_after_seconds(response.headers, self.clock()) if limited else None
        if delay is not None and delay > self.max_wait_s:
            retry_at = (self.clock() + timedelta(seconds=delay)).strftime("%Y-%m-%d %H:%M:%S %Z")
            raise PilotError(
                ErrorCode.UPSTREAM_RATE_LIMITED,
                f"{self.source}: rate limited; the provider asks to wait {delay:.0f} s - retry after {retry_at}",
                details={"status": status, "retry_after_s": round(delay)},
            )
        raise _Retryable(error, wait_s=delay)

    def _ambiguous(self, method: str, url: str, what: str, details: dict[str, Any]) -> PilotError:
        return PilotError(
            ErrorCode.UPSTREAM_UNAVAILABLE,
            f"{self.source}: {what} on {self._where(method, httpx.URL(url))}: the server may or may not have carried it out, "
            "so it was not sent again",
            details={**details, "ambiguous": True},
        )

    def _where(self, method: str, url: httpx.URL) -> str:
        return method if self.secret_path else f"{method} {url.path}"

    def _wait(self, seconds: float) -> None:
        seconds = max(0.0, min(seconds, self.max_wait_s))
        self.sleeps.append(seconds)
        self.sleep(seconds)


def _rate_limit_headers(response: httpx.Response) -> bool:
    return "Retry-After" in response.headers or response.headers.get("x-ratelimit-remaining") == "0"


def _json(response: httpx.Response, source: str) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise PilotError(
            ErrorCode.UPSTREAM_INVALID_OUTPUT, f"{source}: the response to {response.url.path} is not JSON"
        ) from exc
