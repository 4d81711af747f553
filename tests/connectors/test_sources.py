"""Jira, GitHub and PagerDuty against respx, on payloads in the providers' real shapes:
pagination, incremental cursors, 429 with Retry-After, 5xx then success, expired credentials,
a bad record as a recorded failure, and a ticket deleted at the source removed after a census."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx
import pytest
import respx

from pilot.connectors.github import GitHubConnector
from pilot.connectors.jira import JiraConnector, adf_text, import_jira_csv, parse_time
from pilot.connectors.pagerduty import PagerDutyConnector
from pilot.domain.errors import ErrorCode, PilotError
from pilot.pipeline.context import Pilot
from pilot.pipeline.ingest import sync_source
from pilot.sample import SAMPLE_PROGRAM_ID, tickets_dir
from pilot.store.documents import get_sync_state, list_document_rows
from tests.ingest.fakes import FakeIndex

JIRA = "https://acmepay.atlassian.net"
SEARCH = f"{JIRA}/rest/api/3/search/jql"


def jira(sleeps: list[float] | None = None) -> JiraConnector:
    return JiraConnector(JIRA, "pm@acmepay.example", "secret-token", jql="project = PAY ORDER BY updated",
                         sleep=(sleeps.append if sleeps is not None else lambda _s: None))  # fmt: skip


def keys_page(keys: list[str]) -> dict[str, Any]:
    return {"issues": [{"id": str(i), "key": k, "fields": {}} for i, k in enumerate(keys)], "isLast": True}


def test_jira_pages_through_next_page_token_and_saves_the_cursor(
    pilot: Pilot, fake_index: FakeIndex, jira_pages, respx_mock: respx.MockRouter
) -> None:  # type: ignore[no-untyped-def]
    first, second = jira_pages
    route = respx_mock.get(url__startswith=SEARCH).mock(side_effect=[httpx.Response(200, json=first), httpx.Response(200, json=second),
                                                httpx.Response(200, json=keys_page([i["key"] for i in first["issues"] + second["issues"]]))])  # fmt: skip
    report = sync_source(pilot, SAMPLE_PROGRAM_ID, "jira", index=fake_index, connector=jira())
    assert report.created == len(first["issues"]) + len(second["issues"]) and report.failures == []
    assert route.calls[1].request.url.params["nextPageToken"] == first["nextPageToken"]
    assert "project = PAY" in route.calls[0].request.url.params["jql"]
    auth = route.calls[0].request.headers["Authorization"]
    assert auth.startswith("Basic ") and "secret-token" not in auth  # base64, never in clear
    with pilot.db.transaction() as session:
        state = get_sync_state(session, SAMPLE_PROGRAM_ID, "jira")
        assert state is not None and state.cursor["value"] == report.cursor
    newest = max(parse_time(i["fields"]["updated"]) for i in first["issues"] + second["issues"])  # type: ignore[type-var]
    assert report.cursor == newest.isoformat()
    ticket = fake_index.documents["jira:PAY-1440"]
    assert ticket.metadata["assignee"] == "Omar Farouk" and ticket.metadata["parent"] == "PAY-1100"
    assert "Drain in-flight authorizations" in ticket.text  # ADF description flattened


def test_jira_incremental_pull_asks_for_updated_since_the_cursor(
    pilot: Pilot, fake_index: FakeIndex, jira_pages, respx_mock: respx.MockRouter
) -> None:  # type: ignore[no-untyped-def]
    first, _ = jira_pages
    only = {**first, "isLast": True, "nextPageToken": None}
    route = respx_mock.get(url__startswith=SEARCH).mock(return_value=httpx.Response(200, json=only))
    connector = jira()
    list(connector.pull(SAMPLE_PROGRAM_ID, "2026-11-18T09:00:00-08:00"))
    jql = route.calls[0].request.url.params["jql"]
    assert jql == '(project = PAY) AND updated >= "2026-11-18 09:00" ORDER BY updated ASC'


def test_429_waits_for_retry_after_and_500_backs_off_then_succeeds(
    jira_pages, respx_mock: respx.MockRouter
) -> None:  # type: ignore[no-untyped-def]
    first, _ = jira_pages
    only = {**first, "isLast": True}
    respx_mock.get(url__startswith=SEARCH).mock(side_effect=[
        httpx.Response(429, headers={"Retry-After": "7"}, json={"errorMessages": ["Rate limit exceeded"]}),
        httpx.Response(500, json={"errorMessages": ["Internal server error"]}),
        httpx.Response(200, json=only),
    ])  # fmt: skip
    sleeps: list[float] = []
    batches = list(jira(sleeps).pull(SAMPLE_PROGRAM_ID, None))
    assert sleeps == [7.0, 2.0]  # Retry-After honoured; then exponential backoff (1 s * 2**1)
    assert len(batches[0].documents) == len(first["issues"])


def test_expired_credentials_are_a_clear_error_without_retries_or_secrets(
    pilot: Pilot, fake_index: FakeIndex, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.get(url__startswith=SEARCH).mock(
        return_value=httpx.Response(401, json={"errorMessages": ["Unauthorized"]})
    )
    with pytest.raises(PilotError) as raised:
        sync_source(pilot, SAMPLE_PROGRAM_ID, "jira", index=fake_index, connector=jira())
    assert raised.value.code == ErrorCode.CREDENTIALS and route.call_count == 1
    assert "expired" in raised.value.message and "secret-token" not in raised.value.message
    with pilot.db.transaction() as session:
        state = get_sync_state(session, SAMPLE_PROGRAM_ID, "jira")
        assert state is not None and "rejected" in (state.last_error or "")


def test_a_malformed_issue_is_a_recorded_failure_and_the_rest_are_stored(
    pilot: Pilot, fake_index: FakeIndex, jira_pages, respx_mock: respx.MockRouter
) -> None:  # type: ignore[no-untyped-def]
    first, _ = jira_pages
    broken = copy.deepcopy(first)
    broken["isLast"] = True
    del broken["issues"][2]["fields"]
    respx_mock.get(url__startswith=SEARCH).mock(
        side_effect=[httpx.Response(200, json=broken), httpx.Response(200, json=keys_page([]))]
    )
    report = sync_source(pilot, SAMPLE_PROGRAM_ID, "jira", index=fake_index, connector=jira(), census=False)
    assert report.created == len(first["issues"]) - 1
    assert [f.external_id for f in report.failures] == [first["issues"][2]["key"]]


def test_a_ticket_deleted_at_the_source_is_gone_after_the_census(
    pilot: Pilot, fake_index: FakeIndex, jira_pages, respx_mock: respx.MockRouter
) -> None:  # type: ignore[no-untyped-def]
    first, second = jira_pages
    everything = {"issues": first["issues"] + second["issues"], "isLast": True}
    all_keys = [i["key"] for i in everything["issues"]]
    deleted = all_keys[3]
    respx_mock.get(url__startswith=SEARCH).mock(side_effect=[
        httpx.Response(200, json=everything), httpx.Response(200, json=keys_page(all_keys)),
        httpx.Response(200, json={"issues": [], "isLast": True}),  # nothing changed since the cursor
        httpx.Response(200, json=keys_page([k for k in all_keys if k != deleted])),  # ...but one is gone
    ])  # fmt: skip
    sync_source(pilot, SAMPLE_PROGRAM_ID, "jira", index=fake_index, connector=jira())
    assert f"jira:{deleted}" in fake_index.documents
    report = sync_source(pilot, SAMPLE_PROGRAM_ID, "jira", index=fake_index, connector=jira())
    assert report.deleted == 1 and fake_index.removed == [f"jira:{deleted}"]
    assert f"jira:{deleted}" not in fake_index.documents
    with pilot.db.transaction() as session:
        live = {r.external_id for r in list_document_rows(session, SAMPLE_PROGRAM_ID, source="jira")}
    assert deleted not in live and len(live) == len(all_keys) - 1


GH = "https://api.github.com/repos/acmepay/payments-mobile-sdk/issues"


def test_github_follows_link_headers_tells_prs_apart_and_passes_since(
    github_issues, respx_mock: respx.MockRouter
) -> None:  # type: ignore[no-untyped-def]
    next_url = f"{GH}?state=all&per_page=100&since=2026-11-01T00%3A00%3A00Z&page=2"
    route = respx_mock.get(url__startswith=GH).mock(side_effect=[
        httpx.Response(200, json=github_issues[:5], headers={"Link": f'<{next_url}>; rel="next", <{next_url}>; rel="last"'}),
        httpx.Response(200, json=github_issues[5:]),
    ])  # fmt: skip
    connector = GitHubConnector("acmepay/payments-mobile-sdk", "ghp_secret", sleep=lambda _s: None)
    batches = list(connector.pull(SAMPLE_PROGRAM_ID, "2026-11-01T00:00:00Z"))
    docs = [d for b in batches for d in b.documents]
    assert (
        len(docs) == len(github_issues)
        and route.calls[0].request.url.params["since"] == "2026-11-01T00:00:00Z"
    )
    assert route.calls[1].request.url.params["page"] == "2"
    prs = {d.external_id for d in docs if d.metadata["is_pull_request"]}
    assert prs == {f"acmepay/payments-mobile-sdk#{i['number']}" for i in github_issues if "pull_request" in i}
    assert batches[-1].cursor == max(i["updated_at"] for i in github_issues)
    assert route.calls[0].request.headers["Authorization"] == "Bearer ghp_secret"


PD = "https://api.pagerduty.com"


def test_pagerduty_offset_pages_with_notes_and_urgency(
    pagerduty_incidents, respx_mock: respx.MockRouter
) -> None:  # type: ignore[no-untyped-def]
    incidents = pagerduty_incidents["incidents"]
    pages = [{**pagerduty_incidents, "incidents": incidents[:3], "more": True},
             {**pagerduty_incidents, "incidents": incidents[3:], "more": False, "offset": 3}]  # fmt: skip
    listing = respx_mock.get(url__regex=rf"{PD}/incidents(\?.*)?$").mock(
        side_effect=[httpx.Response(200, json=p) for p in pages]
    )
    notes_body = json.loads(
        (tickets_dir().parent / "incidents" / "pagerduty_notes_Q1KX9W3PZ8D4LM.json").read_text()
    )
    respx_mock.get(url__regex=rf"{PD}/incidents/\w+/notes").mock(
        return_value=httpx.Response(200, json=notes_body)
    )
    batches = list(PagerDutyConnector("pd_secret", sleep=lambda _s: None).pull(SAMPLE_PROGRAM_ID, None))
    docs = [d for b in batches for d in b.documents]
    assert len(docs) == len(incidents) and listing.calls[1].request.url.params["offset"] == "3"
    assert listing.calls[0].request.headers["Authorization"] == "Token token=pd_secret"
    first = docs[0]
    assert first.metadata["urgency"] == incidents[0]["urgency"] and first.metadata["service"]
    assert "Notes:" in first.text and first.kind.value == "incident"


def test_adf_and_jira_csv_export() -> None:
    adf = {"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": "Ping "},
                                          {"type": "mention", "attrs": {"text": "@Omar"}}]},
        {"type": "bulletList", "content": [{"type": "listItem", "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "drain"}]}]}]},
    ]}  # fmt: skip
    assert adf_text(adf) == "Ping @Omar\n- drain\n"
    batch = import_jira_csv(
        (tickets_dir() / "jira_export.csv").read_text(encoding="utf-8"), SAMPLE_PROGRAM_ID
    )
    assert batch.failures == [] and len(batch.documents) >= 10
    epic = next(d for d in batch.documents if d.external_id == "PAY-1100")
    assert epic.metadata["labels"] == ["cutover", "wave-1"] and epic.updated_at is not None
    with pytest.raises(PilotError, match="Issue key"):
        import_jira_csv("a,b\n1,2\n", SAMPLE_PROGRAM_ID)


def test_adf_tables_dates_and_odd_nodes() -> None:
    adf = {"type": "doc", "version": 1, "content": [
        {"type": "table", "content": [
            {"type": "tableRow", "content": [
                {"type": "tableHeader", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Step"}]}]},
                {"type": "tableHeader", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Owner"}]}]}]},
            {"type": "tableRow", "content": [
                {"type": "tableCell", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Drain"}]}]},
                {"type": "tableCell", "content": [{"type": "paragraph", "content": [
                    {"type": "mention", "attrs": {"id": "712020:1", "text": "@Omar Farouk"}}]}]}]}]},
        {"type": "paragraph", "content": [{"type": "text", "text": "Due "},
                                          {"type": "date", "attrs": {"timestamp": "1795478400000"}}]},
        {"type": "mediaSingle", "content": [{"type": "media", "attrs": {"id": "x", "type": "file"}}]},
        42, {"type": "extension", "attrs": {"extensionKey": "jira-macro"}},
    ]}  # fmt: skip
    assert adf_text(adf) == "Step | Owner\nDrain | @Omar Farouk\nDue 2026-11-24\n"
