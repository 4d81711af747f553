"""HTTP for connectors and write-back: timeouts, retries with backoff, and errors people can act on.

429 waits for Retry-After (seconds or an HTTP date); GitHub's 403 with `x-ratelimit-remaining: 0`
or a Retry-After is a rate limit too, and waits for `x-ratelimit-reset`. A wait longer than
`max_wait_s` is not slept through: it is an UPSTREAM_RATE_LIMITED error that says when to retry.
5xx and network errors back off exponentially; other 401/403 are a credentials error at once
(retrying would not help). Credentials travel in headers and never appear in an error message
or log line (messages name the method and path, never the query string or headers).
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from pilot.domain.errors import ErrorCode, PilotError

Sleep = Callable[[float], None]
Clock = Callable[[], datetime]
MAX_RETRY_AFTER_S = 120.0


def _utc_now() -> datetime:
    return datetime.now(UTC)


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
    ) -> None:
        self.source = source
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.sleep = sleep
        self.clock = clock
        self.max_wait_s = max_wait_s
        self.credentials_hint = credentials_hint
        self.sleeps: list[float] = []
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"), headers=dict(headers or {}), auth=auth, timeout=timeout_s
        )

    def close(self) -> None:
        self._client.close()

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = self._client.request(method, url, **kwargs)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                if attempt >= self.max_retries:
                    raise PilotError(
                        ErrorCode.UPSTREAM_UNAVAILABLE,
                        f"{self.source}: {type(exc).__name__} after {attempt + 1} attempts",
                    ) from exc
                self._wait(self.backoff_s * 2**attempt)
                attempt += 1
                continue
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
                    ErrorCode.NOT_FOUND, f"{self.source}: {method} {response.url.path} not found"
                )
            retryable = limited or status >= 500
            if not retryable or attempt >= self.max_retries:
                code = ErrorCode.UPSTREAM_RATE_LIMITED if limited else ErrorCode.UPSTREAM_UNAVAILABLE
                if not retryable:
                    code = ErrorCode.INVALID_INPUT
                raise PilotError(
                    code,
                    f"{self.source}: HTTP {status} from {method} {response.url.path}"
                    + (f" after {attempt + 1} attempts" if retryable else f": {response.text[:300]}"),
                    details={"status": status},
                )
            delay = rate_limit_wait(response, self.clock()) if limited else None
            if delay is not None and delay > self.max_wait_s:
                raise PilotError(
                    ErrorCode.UPSTREAM_RATE_LIMITED,
                    f"{self.source}: rate limited; the provider asks to wait {delay:.0f} s - retry after "
                    f"{(self.clock() + timedelta(seconds=delay)).strftime('%Y-%m-%d %H:%M:%S %Z')}",
                    details={"status": status, "retry_after_s": round(delay)},
                )
            self._wait(delay if delay is not None else self.backoff_s * 2**attempt)
            attempt += 1

    def get_json(self, url: str, params: Mapping[str, Any] | None = None) -> tuple[Any, httpx.Response]:
        response = self.request("GET", url, params=params)
        return _json(response, self.source), response

    def post_json(self, url: str, body: Any) -> tuple[Any, httpx.Response]:
        response = self.request("POST", url, json=body)
        return (_json(response, self.source) if response.content else None), response

    def _wait(self, seconds: float) -> None:
        seconds = max(0.0, min(seconds, self.max_wait_s))
        self.sleeps.append(seconds)
        self.sleep(seconds)


def _rate_limit_headers(response: httpx.Response) -> bool:
    return "Retry-After" in response.headers or response.headers.get("x-ratelimit-remaining") == "0"


def rate_limit_wait(response: httpx.Response, now: datetime) -> float | None:
    """Seconds the provider asks to wait: Retry-After, else GitHub's reset time; None if unsaid."""
    delay = retry_after(response, now)
    if delay is not None:
        return delay
    reset = response.headers.get("x-ratelimit-reset")
    if reset and response.headers.get("x-ratelimit-remaining") == "0":
        try:
            return max(0.0, float(reset) - now.timestamp())
        except ValueError:
            return None
    return None


def retry_after(response: httpx.Response, now: datetime | None = None) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or _utc_now())).total_seconds())


def _json(response: httpx.Response, source: str) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise PilotError(
            ErrorCode.UPSTREAM_INVALID_OUTPUT, f"{source}: the response to {response.url.path} is not JSON"
        ) from exc
