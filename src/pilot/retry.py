"""The one retry mechanism: tenacity, with the waits a server asks for and an injectable sleep.

The HTTP client of the connectors and write-back (`pilot.connectors.http`) and the LLM path
(`pilot.chains.llm`) both retry through `RetryPolicy.call`: exponential backoff from `base_delay_s`,
capped at `max_delay_s`, unless the failure carries the wait the server asked for (Retry-After in
seconds or as an HTTP date, `retry-after-ms`, GitHub's `x-ratelimit-reset`), which wins (up to the
same cap; the HTTP client refuses to retry a longer wait and says when to try again). What is
worth retrying is the caller's decision (`retry_on`); tests inject `sleep`, so nothing waits.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from pilot.clock import system_clock

R = TypeVar("R")
Sleep = Callable[[float], None]


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 3  # a failing call is retried this many times, so it runs at most max_retries + 1
    base_delay_s: float = 1.0
    max_delay_s: float = 30.0
    sleep: Sleep = time.sleep

    def delay(self, retry_number: int) -> float:
        """The backoff before retry `retry_number` (0-based) when the server asked for nothing."""
        return float(min(self.max_delay_s, self.base_delay_s * (2**retry_number)))

    def call(
        self,
        fn: Callable[[], R],
        *,
        retry_on: Callable[[BaseException], bool],
        requested_wait: Callable[[BaseException], float | None] = lambda _exc: None,
    ) -> R:
        """Run `fn`, retrying the exceptions `retry_on` accepts; the last one is re-raised as is."""

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            asked = requested_wait(exc) if exc is not None else None
            if (
                asked is not None
            ):  # never longer than max_delay_s: a caller that must not wait less checks first
                return min(max(0.0, asked), self.max_delay_s)
            return self.delay(state.attempt_number - 1)

        retrying = Retrying(
            stop=stop_after_attempt(self.max_retries + 1),
            wait=wait,
            retry=retry_if_exception(retry_on),
            sleep=self.sleep,
            reraise=True,
        )
        return retrying(fn)


def retry_after_seconds(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds a response asks to wait: `retry-after-ms`, `Retry-After` (seconds or an HTTP date),
    else GitHub's `x-ratelimit-reset` when `x-ratelimit-remaining` is 0; None when it says nothing."""
    now = now or system_clock()
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is not None:
        return _retry_after_value(value, now)
    reset = headers.get("x-ratelimit-reset")
    if reset and headers.get("x-ratelimit-remaining") == "0":
        try:
            return max(0.0, float(reset) - now.timestamp())
        except ValueError:
            return None
    return None


def _retry_after_value(value: str, now: datetime) -> float | None:
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
    return max(0.0, (when - now).total_seconds())
