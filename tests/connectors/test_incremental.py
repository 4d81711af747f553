"""Incremental pulls in detail: PagerDuty's windows and re-reads of open incidents, Jira Data
Center's offset pages and bounded JQL, GitHub's census and credentials; all on the sample's
payloads in the providers' shapes."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx

from pilot.connectors.base import build_connector
from pilot.connectors.github import GitHubConnector
from pilot.connectors.jira import JiraConnector
from pilot.connectors.pagerduty import PagerDutyConnector, PullState
from pilot.domain.errors import ErrorCode, PilotError
from pilot.sample import SAMPLE_PROGRAM_ID, incidents_dir, tickets_dir
from pilot.settings import Settings

P = SAMPLE_PROGRAM_ID
PD = "https://api.pagerduty.com"
NOW = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
LISTING = rf"{PD}/incidents(\?.*)?$"


def notes(incident_id: str) -> dict[str, Any]:
    path = incidents_dir() / f"pagerduty_notes_{incident_id}.json"
    return json.loads(path.read_text()) if path.exists() else {"notes": []}


def pagerduty() -> PagerDutyConnector:
    return PagerDutyConnector("pd_secret", sleep=lambda _s: None, now=NOW)


def mock_notes(respx_mock: respx.MockRouter) -> respx.Route:
    return respx_mock.get(url__regex=rf"{PD}/incidents/(?P<incident>\w+)/notes").mock(
        side_effect=lambda request, incident: httpx.Response(200, json=notes(incident))
    )


def test_pagerduty_first_pull_reads_everything_and_remembers_open_incidents(
    pagerduty_incidents: dict[str, Any], respx_mock: respx.MockRouter
) -> None:
    listing = respx_mock.get(url__regex=LISTING).mock(
        return_value=httpx.Response(200, json=pagerduty_incidents)
    )
    mock_notes(respx_mock)
    batches = list(pagerduty().pull(P, None))
    assert listing.calls[0].request.url.params["date_range"] == "all"
    state = PullState.parse(batches[-1].cursor)
    incidents = pagerduty_incidents["incidents"]
    assert state.recheck == {i["id"] for i in incidents if i["status"] in ("triggered", "acknowledged")}
    assert state.created == max(datetime.fromisoformat(i["created_at"]) for i in incidents).isoformat()
    incident = next(d for b in batches for d in b.documents if d.external_id == "Q1KX9W3PZ8D4LM")
    assert incident.metadata["priority"] == "P1" and incident.metadata["urgency"] == "high"
    assert incident.metadata["resolved_at"] and "Grace Liu" in incident.text


def test_pagerduty_next_pull_windows_since_the_cursor_and_rereads_open_incidents(
    pagerduty_incidents: dict[str, Any], respx_mock: respx.MockRouter
) -> None:
    incidents = pagerduty_incidents["incidents"]
    still_open = next(i for i in incidents if i["status"] == "acknowledged")
    resolved = {**copy.deepcopy(still_open), "status": "resolved", "resolved_at": "2026-11-19T10:00:00Z"}
    listing = respx_mock.get(url__regex=LISTING).mock(
        return_value=httpx.Response(200, json={**pagerduty_incidents, "incidents": [], "more": False})
    )
    one = respx_mock.get(f"{PD}/incidents/{still_open['id']}").mock(
        return_value=httpx.Response(200, json={"incident": resolved})
    )
    mock_notes(respx_mock)
    cursor = PullState(created="2026-05-01T00:00:00+00:00", recheck={still_open["id"]}).dump()
    batches = list(pagerduty().pull(P, cursor))
    windows = [(c.request.url.params["since"], c.request.url.params["until"]) for c in listing.calls]
    # Seven days of overlap, then windows of at most 90 days up to now (the API allows 6 months).
    assert windows[0][0] == "2026-04-24T00:00:00+00:00" and windows[-1][1] == NOW.isoformat()
    assert len(windows) == 3 and all(a[1] == b[0] for a, b in zip(windows, windows[1:], strict=False))
    assert one.call_count == 1
    doc = batches[-1].documents[0]
    assert doc.metadata["status"] == "resolved"
    assert PullState.parse(batches[-1].cursor).recheck == set()  # resolved: no need to look again


def test_pagerduty_incident_whose_notes_fail_is_kept_with_a_warning_and_read_again(
    pagerduty_incidents: dict[str, Any], respx_mock: respx.MockRouter
) -> None:
    respx_mock.get(url__regex=LISTING).mock(return_value=httpx.Response(200, json=pagerduty_incidents))
    respx_mock.get(url__regex=rf"{PD}/incidents/\w+/notes").mock(
        return_value=httpx.Response(500, json={"error": {"message": "oops"}})
    )
    batches = list(PagerDutyConnector("pd_secret", sleep=lambda _s: None, now=NOW).pull(P, None))
    docs = [d for b in batches for d in b.documents]
    assert len(docs) == len(pagerduty_incidents["incidents"])
    assert all(any("notes not read" in w for w in d.warnings) for d in docs)
    assert PullState.parse(batches[-1].cursor).recheck == {d.external_id for d in docs}


def test_pagerduty_expired_token_stops_the_pull(
    pagerduty_incidents: dict[str, Any], respx_mock: respx.MockRouter
) -> None:
    respx_mock.get(url__regex=LISTING).mock(return_value=httpx.Response(200, json=pagerduty_incidents))
    respx_mock.get(url__regex=rf"{PD}/incidents/\w+/notes").mock(
        return_value=httpx.Response(401, json={"error": {"message": "Unauthorized", "code": 2006}})
    )
    with pytest.raises(PilotError) as raised:
        list(pagerduty().pull(P, None))
    assert raised.value.code == ErrorCode.CREDENTIALS and "pd_secret" not in raised.value.message


def test_the_older_bare_timestamp_cursor_is_still_read() -> None:
    assert PullState.parse("2026-11-01T00:00:00+00:00").created == "2026-11-01T00:00:00+00:00"
    assert PullState.parse(None) == PullState()


JIRA_DC = "https://jira.acme.internal"


def test_jira_data_center_pages_by_start_at_with_a_bearer_token(respx_mock: respx.MockRouter) -> None:
    first = json.loads((tickets_dir() / "jira_search_page1.json").read_text())
    second = json.loads((tickets_dir() / "jira_search_page2.json").read_text())
    total = len(first["issues"]) + len(second["issues"])
    pages = [
        {"expand": "schema,names", "startAt": 0, "maxResults": 7, "total": total, "issues": first["issues"]},
        {"expand": "schema,names", "startAt": 7, "maxResults": 7, "total": total, "issues": second["issues"]},
    ]
    route = respx_mock.get(url__startswith=f"{JIRA_DC}/rest/api/2/search").mock(
        side_effect=[httpx.Response(200, json=p) for p in pages]
    )
    connector = JiraConnector(JIRA_DC, "", "dc-pat", jql="project = PAY ORDER BY updated DESC", deployment="server",
                              sleep=lambda _s: None)  # fmt: skip
    docs = [d for b in connector.pull(P, None) for d in b.documents]
    assert len(docs) == total and route.call_count == 2
    assert [c.request.url.params["startAt"] for c in route.calls] == ["0", "7"]
    assert route.calls[0].request.headers["Authorization"] == "Bearer dc-pat"
    # The configured DESC order is replaced: a checkpoint is only safe oldest-first.
    assert route.calls[0].request.url.params["jql"] == "project = PAY ORDER BY updated ASC"


def test_jira_needs_a_bounded_query_and_says_so() -> None:
    base = {
        "jira_url": "https://acmepay.atlassian.net",
        "jira_email": "pm@acmepay.example",
        "jira_api_token": "t",
    }
    with pytest.raises(PilotError) as raised:
        build_connector("jira", Settings(**base))  # type: ignore[arg-type]
    assert raised.value.code == ErrorCode.NOT_CONFIGURED and "PILOT_JIRA_JQL" in raised.value.message
    connector = build_connector("jira", Settings(**base, jira_project_key="PAY"))  # type: ignore[arg-type]
    assert isinstance(connector, JiraConnector) and connector.jql == 'project = "PAY"'
    with pytest.raises(PilotError, match="unknown source"):
        build_connector("trello", Settings())


GH = "https://api.github.com/repos/acmepay/payments-mobile-sdk/issues"


def test_github_census_lists_every_issue_across_pages(
    github_issues: list[dict[str, Any]], respx_mock: respx.MockRouter
) -> None:
    page2 = f"{GH}?state=all&per_page=100&page=2"
    route = respx_mock.get(url__startswith=GH).mock(side_effect=[
        httpx.Response(200, json=github_issues[:4], headers={"Link": f'<{page2}>; rel="next"'}),
        httpx.Response(200, json=github_issues[4:]),
    ])  # fmt: skip
    ids = GitHubConnector("acmepay/payments-mobile-sdk", "ghp_x", sleep=lambda _s: None).census(P)
    assert ids == {f"acmepay/payments-mobile-sdk#{i['number']}" for i in github_issues}
    assert "since" not in route.calls[0].request.url.params


def test_github_bad_credentials(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(url__startswith=GH).mock(return_value=httpx.Response(
        401, json={"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}))  # fmt: skip
    with pytest.raises(PilotError) as raised:
        list(GitHubConnector("acmepay/payments-mobile-sdk", "ghp_x", sleep=lambda _s: None).pull(P, None))
    assert raised.value.code == ErrorCode.CREDENTIALS and "PILOT_GITHUB_TOKEN" in raised.value.message
