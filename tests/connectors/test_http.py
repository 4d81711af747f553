"""The connectors' HTTP client against respx: what is retried, how long it waits (sleep and clock
injected, so nothing waits), what is an error at once, and that no secret reaches a message."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
import respx

from pilot.connectors.http import HttpClient
from pilot.domain.errors import ErrorCode, PilotError

BASE = "https://api.example.test"
NOW = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)
SECRET = "s3cr3t-t0ken"


def client(**kwargs: object) -> tuple[HttpClient, list[float]]:
    slept: list[float] = []
    http = HttpClient(BASE, source="github", headers={"Authorization": f"Bearer {SECRET}"},
                      sleep=slept.append, clock=lambda: NOW, credentials_hint="PILOT_GITHUB_TOKEN",
                      **kwargs)  # type: ignore[arg-type]  # fmt: skip
    return http, slept


def test_retry_after_as_an_http_date_is_honoured(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(f"{BASE}/x").mock(side_effect=[
        httpx.Response(429, headers={"Retry-After": "Fri, 20 Nov 2026 12:00:30 GMT"}),
        httpx.Response(200, json={"ok": True}),
    ])  # fmt: skip
    http, slept = client()
    assert http.get_json("/x")[0] == {"ok": True} and slept == [30.0]


def test_github_primary_rate_limit_403_waits_for_the_reset(respx_mock: respx.MockRouter) -> None:
    reset = int(NOW.timestamp()) + 42
    limited = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset), "x-ratelimit-limit": "5000"}
    respx_mock.get(f"{BASE}/x").mock(side_effect=[
        httpx.Response(403, headers=limited, json={"message": "API rate limit exceeded for user ID 1."}),
        httpx.Response(200, json=[]),
    ])  # fmt: skip
    http, slept = client()
    assert http.get_json("/x")[0] == [] and slept == [42.0]


def test_github_secondary_rate_limit_403_with_retry_after(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(f"{BASE}/x").mock(side_effect=[
        httpx.Response(403, headers={"Retry-After": "60"},
                       json={"message": "You have exceeded a secondary rate limit."}),
        httpx.Response(200, json=[]),
    ])  # fmt: skip
    http, slept = client()
    http.get_json("/x")
    assert slept == [60.0]


def test_a_wait_longer_than_allowed_is_an_error_that_says_when(respx_mock: respx.MockRouter) -> None:
    reset = int(NOW.timestamp()) + 3600
    route = respx_mock.get(f"{BASE}/x").mock(return_value=httpx.Response(
        403, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)}))  # fmt: skip
    http, slept = client()
    with pytest.raises(PilotError) as raised:
        http.get_json("/x")
    assert raised.value.code == ErrorCode.UPSTREAM_RATE_LIMITED and slept == [] and route.call_count == 1
    assert "2026-11-20 13:00:00" in raised.value.message
    assert raised.value.details == {"status": 403, "retry_after_s": 3600}


def test_network_errors_back_off_and_recover(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(f"{BASE}/x").mock(side_effect=[
        httpx.ConnectTimeout("timed out"), httpx.ConnectError("reset"), httpx.Response(200, json={}),
    ])  # fmt: skip
    http, slept = client()
    http.get_json("/x")
    assert slept == [1.0, 2.0]


def test_5xx_retries_run_out_with_a_clear_error(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.get(f"{BASE}/x").mock(return_value=httpx.Response(503, text="upstream down"))
    http, slept = client(max_retries=2)
    with pytest.raises(PilotError) as raised:
        http.get_json("/x", {"token": SECRET})
    assert raised.value.code == ErrorCode.UPSTREAM_UNAVAILABLE and route.call_count == 3
    assert slept == [1.0, 2.0] and "after 3 attempts" in raised.value.message
    assert SECRET not in raised.value.message  # the query string is never echoed


@pytest.mark.parametrize(
    ("status", "code"),
    [(401, ErrorCode.CREDENTIALS), (403, ErrorCode.CREDENTIALS), (404, ErrorCode.NOT_FOUND),
     (422, ErrorCode.INVALID_INPUT)],
)  # fmt: skip
def test_client_errors_are_not_retried(respx_mock: respx.MockRouter, status: int, code: ErrorCode) -> None:
    route = respx_mock.get(f"{BASE}/x").mock(
        return_value=httpx.Response(status, json={"message": "Bad credentials"})
    )
    http, slept = client()
    with pytest.raises(PilotError) as raised:
        http.get_json("/x")
    assert raised.value.code == code and route.call_count == 1 and slept == []
    assert SECRET not in raised.value.message and SECRET not in str(raised.value.details)
    if code == ErrorCode.CREDENTIALS:
        assert "expired" in raised.value.message and "PILOT_GITHUB_TOKEN" in raised.value.message


def test_a_body_that_is_not_json_is_an_upstream_error(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(f"{BASE}/x").mock(return_value=httpx.Response(200, text="<html>login</html>"))
    with pytest.raises(PilotError) as raised:
        client()[0].get_json("/x")
    assert raised.value.code == ErrorCode.UPSTREAM_INVALID_OUTPUT


def test_no_secret_reaches_the_logs_on_success_retry_or_failure(
    respx_mock: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    import base64
    import logging

    from pilot.connectors.jira import JiraConnector

    caplog.set_level(logging.DEBUG)
    basic = base64.b64encode(f"pm@acme.example:{SECRET}".encode()).decode()
    respx_mock.get(url__startswith="https://acme.atlassian.net/rest/api/3/search/jql").mock(side_effect=[
        httpx.Response(503), httpx.Response(200, json={"issues": [], "isLast": True}), httpx.Response(401),
    ])  # fmt: skip
    connector = JiraConnector("https://acme.atlassian.net", "pm@acme.example", SECRET, jql="project = PAY",
                              sleep=lambda _s: None)  # fmt: skip
    list(connector.pull("p", None))
    with pytest.raises(PilotError):
        list(connector.pull("p", None))
    logged = "\n".join(f"{r.getMessage()} {r.args}" for r in caplog.records)
    assert "search/jql" in logged  # httpx did log the requests...
    assert SECRET not in logged and basic not in logged  # ...and nothing secret in them
