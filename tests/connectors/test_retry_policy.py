"""`pilot.retry`, the one retry mechanism: backoff, the server's wait (capped), what is retried."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pilot.retry import RetryPolicy, retry_after_seconds

NOW = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)


class Flaky(Exception):
    def __init__(self, wait: float | None = None) -> None:
        super().__init__("flaky")
        self.wait = wait


def test_backoff_doubles_and_a_requested_wait_wins_up_to_the_cap() -> None:
    slept: list[float] = []
    failures = iter([Flaky(), Flaky(), Flaky(7.0), Flaky(500.0)])

    def call() -> str:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return "done"

    policy = RetryPolicy(max_retries=4, base_delay_s=0.5, max_delay_s=30, sleep=slept.append)
    result = policy.call(
        call, retry_on=lambda e: isinstance(e, Flaky), requested_wait=lambda e: getattr(e, "wait", None)
    )
    assert result == "done" and slept == [0.5, 1.0, 7.0, 30.0]


def test_what_is_not_retryable_or_runs_out_is_raised_as_it_is() -> None:
    slept: list[float] = []
    policy = RetryPolicy(max_retries=2, sleep=slept.append)
    calls = []

    def refuse() -> None:
        calls.append(1)
        raise ValueError("no")

    with pytest.raises(ValueError):
        policy.call(refuse, retry_on=lambda e: isinstance(e, Flaky))
    assert len(calls) == 1 and slept == []

    def always() -> None:
        calls.append(1)
        raise Flaky()

    with pytest.raises(Flaky):
        policy.call(always, retry_on=lambda e: isinstance(e, Flaky))
    assert len(calls) == 4 and slept == [1.0, 2.0]


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after": "12"}, 12.0),
        ({"retry-after": "Fri, 20 Nov 2026 12:00:30 GMT"}, 30.0),
        ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
        ({"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW.timestamp()) + 42)}, 42.0),
        ({"x-ratelimit-remaining": "12", "x-ratelimit-reset": str(int(NOW.timestamp()) + 42)}, None),
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_the_wait_a_response_asks_for(headers: dict[str, str], seconds: float | None) -> None:
    assert retry_after_seconds(headers, NOW) == seconds
