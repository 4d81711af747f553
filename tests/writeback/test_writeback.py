"""Write-back with respx on the providers' real request and response shapes: Jira create (ADF,
assignee by account id, label), idempotent through the stored link and the label, GitHub create,
Slack notifications once per finding with a 429 retried."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import respx

from pilot.domain.drafts import ActionItemDraft, DraftKind, Evidence, OwnerResolution, Provenance
from pilot.domain.errors import ErrorCode, PilotError
from pilot.pipeline.anomalies import scan_program
from pilot.pipeline.context import Pilot, fixed_clock, open_pilot
from pilot.pipeline.programs import import_program_file
from pilot.pipeline.review import approve
from pilot.pipeline.writeback import notify_findings, push_approved
from pilot.sample import SAMPLE_NOW, SAMPLE_PROGRAM_ID, sample_program_path
from pilot.settings import Settings
from pilot.store.audit import list_events
from pilot.store.drafts import add_draft
from pilot.writeback.clients import GitHubWriter, JiraWriter, SlackWebhook

P = SAMPLE_PROGRAM_ID
JIRA = "https://acmepay.atlassian.net"
HOOK = "https://hooks.slack.com/services/T000/B000/XXXX"


@pytest.fixture
def pilot(tmp_path: Path) -> Iterator[Pilot]:
    ctx = open_pilot(Settings(data_dir=tmp_path / "d", database_url=f"sqlite:///{tmp_path / 'w.db'}"),
                     actor="approver", clock=fixed_clock(SAMPLE_NOW))  # fmt: skip
    import_program_file(ctx, sample_program_path())
    yield ctx
    ctx.close()


def approved_action(pilot: Pilot) -> str:
    payload = ActionItemDraft(task="Rehearse the rollback in staging", owner_text="Omar", owner_id="omar.farouk",
                              owner_resolution=OwnerResolution.RESOLVED, due="2026-11-24",  # type: ignore[arg-type]
                              evidence=Evidence(quote="I'll rehearse the rollback in staging by Tuesday", verified=True))  # fmt: skip
    with pilot.db.transaction() as session:
        draft_id = add_draft(session, program_id=P, kind=DraftKind.ACTION_ITEM, payload=payload.model_dump(mode="json"),
                             findings=[], provenance=Provenance(engine="offline"), now=SAMPLE_NOW).id  # fmt: skip
    approve(pilot, P, draft_id)
    return draft_id


def jira_writer() -> JiraWriter:
    return JiraWriter(JIRA, "pm@acmepay.example", "token", "PAY", sleep=lambda _s: None)


def test_jira_issue_is_created_once_with_adf_assignee_and_due(
    pilot: Pilot, respx_mock: respx.MockRouter
) -> None:
    draft_id = approved_action(pilot)
    search = respx_mock.get(url__startswith=f"{JIRA}/rest/api/3/search/jql").mock(
        return_value=httpx.Response(200, json={"issues": [], "isLast": True}))  # fmt: skip
    users = respx_mock.get(url__startswith=f"{JIRA}/rest/api/3/user/search").mock(
        return_value=httpx.Response(200, json=[{"accountId": "712020:omar", "displayName": "Omar Farouk", "active": True}]))  # fmt: skip
    create = respx_mock.post(f"{JIRA}/rest/api/3/issue").mock(
        return_value=httpx.Response(201, json={"id": "10999", "key": "PAY-1501", "self": f"{JIRA}/rest/api/3/issue/10999"}))  # fmt: skip
    first = push_approved(pilot, P, draft_id, "jira", writer=jira_writer())
    assert first.created and first.external_id == "PAY-1501" and first.url == f"{JIRA}/browse/PAY-1501"
    fields = json.loads(create.calls[0].request.content)["fields"]
    assert fields["project"] == {"key": "PAY"} and fields["duedate"] == "2026-11-24"
    assert fields["assignee"] == {"accountId": "712020:omar"}
    assert fields["description"]["type"] == "doc" and "rehearse the rollback" in json.dumps(
        fields["description"]
    )
    assert users.calls[0].request.url.params["query"] == "omar.farouk@acmepay.example"
    assert 'labels = "pilot-a-' in search.calls[0].request.url.params["jql"]

    again = push_approved(pilot, P, draft_id, "jira", writer=jira_writer())
    assert not again.created and again.external_id == "PAY-1501" and create.call_count == 1
    with pilot.db.transaction() as session:
        assert [e.action for e in list_events(session, program_id=P)].count("writeback.jira") == 1


def test_a_push_interrupted_before_the_link_was_saved_finds_the_issue_by_label(
    pilot: Pilot, respx_mock: respx.MockRouter
) -> None:
    draft_id = approved_action(pilot)
    respx_mock.get(url__startswith=f"{JIRA}/rest/api/3/search/jql").mock(
        return_value=httpx.Response(200, json={"issues": [{"id": "10999", "key": "PAY-1501", "fields": {}}], "isLast": True}))  # fmt: skip
    create = respx_mock.post(f"{JIRA}/rest/api/3/issue").mock(return_value=httpx.Response(500))
    result = push_approved(pilot, P, draft_id, "jira", writer=jira_writer())
    assert result.external_id == "PAY-1501" and not result.created and create.call_count == 0


def test_pending_drafts_are_not_written_back(pilot: Pilot) -> None:
    with pilot.db.transaction() as session:
        draft_id = add_draft(session, program_id=P, kind=DraftKind.ACTION_ITEM,
                             payload={"task": "x", "owner_resolution": "missing"}, findings=[],
                             provenance=Provenance(engine="offline"), now=SAMPLE_NOW).id  # fmt: skip
    with pytest.raises(PilotError) as raised:
        push_approved(pilot, P, draft_id, "jira", writer=jira_writer())
    assert raised.value.code == ErrorCode.CONFLICT


def test_github_issue_with_the_owners_handle(pilot: Pilot, respx_mock: respx.MockRouter) -> None:
    draft_id = approved_action(pilot)
    listed = respx_mock.get("https://api.github.com/repos/acmepay/payments-mobile-sdk/issues").mock(
        return_value=httpx.Response(200, json=[])
    )
    respx_mock.get("https://api.github.com/search/issues").mock(
        return_value=httpx.Response(200, json={"total_count": 0, "incomplete_results": False, "items": []})
    )
    create = respx_mock.post("https://api.github.com/repos/acmepay/payments-mobile-sdk/issues").mock(
        return_value=httpx.Response(201, json={"number": 431, "html_url": "https://github.com/acmepay/payments-mobile-sdk/issues/431",
                                               "state": "open", "title": "Rehearse the rollback in staging"}))  # fmt: skip
    writer = GitHubWriter("acmepay/payments-mobile-sdk", "ghp_x", sleep=lambda _s: None)
    result = push_approved(pilot, P, draft_id, "github", writer=writer)
    body = json.loads(create.calls[0].request.content)
    label = listed.calls[0].request.url.params["labels"]
    assert result.external_id == "acmepay/payments-mobile-sdk#431" and body["labels"] == ["pilot", label]
    assert label.startswith("pilot-a-") and f"<!-- pilot record: {label} -->" in body["body"]
    assert body["title"] == "Rehearse the rollback in staging"


def test_slack_gets_each_new_warning_once_and_a_429_is_retried(
    pilot: Pilot, respx_mock: respx.MockRouter
) -> None:
    scan_program(pilot, P)
    posts: list[dict[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if not posts and not getattr(handler, "limited", False):
            handler.limited = True  # type: ignore[attr-defined]
            return httpx.Response(429, headers={"Retry-After": "1"}, text="rate_limited")
        posts.append(json.loads(request.content))
        return httpx.Response(200, text="ok")

    respx_mock.post(HOOK).mock(side_effect=handler)
    sleeps: list[float] = []
    hook = SlackWebhook(HOOK, sleep=sleeps.append)
    first = notify_findings(pilot, P, webhook=hook)
    assert first.notified == len(posts) > 10 and sleeps == [1.0]
    assert all(p["blocks"][0]["text"]["type"] == "mrkdwn" for p in posts)  # type: ignore[index]
    assert "raid.owner_assign_slow" not in json.dumps(posts)  # severity info is not sent
    assert notify_findings(pilot, P, webhook=hook).notified == 0


def test_an_approved_status_update_goes_to_slack_once(pilot: Pilot, respx_mock: respx.MockRouter) -> None:
    from pilot.pipeline.status import create_status_draft

    result = create_status_draft(pilot, P, "exec")
    with pytest.raises(PilotError):
        push_approved(pilot, P, result.draft.id, "slack", webhook=SlackWebhook(HOOK, sleep=lambda _s: None))
    approve(pilot, P, result.draft.id)
    route = respx_mock.post(HOOK).mock(return_value=httpx.Response(200, text="ok"))
    first = push_approved(
        pilot, P, result.draft.id, "slack", webhook=SlackWebhook(HOOK, sleep=lambda _s: None)
    )
    again = push_approved(
        pilot, P, result.draft.id, "slack", webhook=SlackWebhook(HOOK, sleep=lambda _s: None)
    )
    assert first.created and not again.created and route.call_count == 1
    body = json.loads(route.calls[0].request.content)
    assert body["text"].startswith("Payments platform migration") and "*Decisions needed*" in json.dumps(
        body["blocks"]
    )
