"""Write-back creates are not retried blindly (issue 9 item 12): a read timeout or a 5xx after the
POST may hide a create that happened, so the writer searches by its label before each retry, and a
Slack webhook (which cannot be searched) is not posted again but recorded for a human.

The providers are stateful respx fakes: an issue exists once the POST reached them, even when the
response never came back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from pilot.connectors.http import HttpClient
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
REPO = "acmepay/payments-mobile-sdk"
GITHUB = "https://api.github.com"
JIRA = "https://acmepay.atlassian.net"
HOOK = "https://hooks.slack.com/services/T000/B000/XXXX"


@pytest.fixture
def pilot(tmp_path: Path) -> Iterator[Pilot]:
    ctx = open_pilot(
        Settings(data_dir=tmp_path / "d", database_url=f"sqlite:///{tmp_path / 'w.db'}"),
        actor="approver",
        clock=fixed_clock(SAMPLE_NOW),
    )
    import_program_file(ctx, sample_program_path())
    yield ctx
    ctx.close()


def approved_action(pilot: Pilot) -> str:
    payload = ActionItemDraft(
        task="Rehearse the rollback in staging",
        owner_text="Omar",
        owner_id="omar.farouk",
        owner_resolution=OwnerResolution.RESOLVED,
        evidence=Evidence(quote="I'll rehearse the rollback in staging by Tuesday", verified=True),
    )
    with pilot.db.transaction() as session:
        draft_id = add_draft(
            session,
            program_id=P,
            kind=DraftKind.ACTION_ITEM,
            payload=payload.model_dump(mode="json"),
            findings=[],
            provenance=Provenance(engine="offline"),
            now=SAMPLE_NOW,
        ).id
    approve(pilot, P, draft_id)
    return draft_id


class FakeGitHub:
    """Issues of one repository; `lose_responses` POSTs create the issue and then time out."""

    def __init__(
        self,
        respx_mock: respx.MockRouter,
        *,
        lose_responses: int = 0,
        fail_before: int = 0,
        drop_labels: bool = False,
        search_indexed: bool = False,
    ) -> None:
        self.issues: list[dict[str, Any]] = []
        self.drop_labels = drop_labels  # a token without push access: GitHub silently drops labels
        self.search_indexed = search_indexed
        self.posts = 0
        self.lose_responses = lose_responses
        self.fail_before = fail_before  # POSTs answered 502 before anything is created
        respx_mock.post(f"{GITHUB}/repos/{REPO}/issues").mock(side_effect=self.create)
        respx_mock.get(f"{GITHUB}/repos/{REPO}/issues").mock(side_effect=self.list)
        respx_mock.get(f"{GITHUB}/search/issues").mock(side_effect=self.search)

    def create(self, request: httpx.Request) -> httpx.Response:
        self.posts += 1
        if self.fail_before:
            self.fail_before -= 1
            return httpx.Response(502, json={"message": "Server Error"})
        body = json.loads(request.content)
        number = 430 + len(self.issues) + 1
        issue = {
            "number": number,
            "html_url": f"https://github.com/{REPO}/issues/{number}",
            "state": "open",
            "title": body["title"],
            "body": body["body"],
            "labels": [] if self.drop_labels else [{"name": n} for n in body["labels"]],
        }
        self.issues.append(issue)
        if self.lose_responses:
            self.lose_responses -= 1
            raise httpx.ReadTimeout("The read operation timed out", request=request)
        return httpx.Response(201, json=issue)

    def list(self, request: httpx.Request) -> httpx.Response:
        label = request.url.params["labels"]
        found = [i for i in self.issues if label in [x["name"] for x in i["labels"]]]
        return httpx.Response(200, json=found)

    def search(self, request: httpx.Request) -> httpx.Response:
        # Unless told otherwise the search index lags behind: a just-created issue is not found yet.
        phrase = request.url.params["q"].split('"')[1]
        items = [i for i in self.issues if phrase in i["body"]] if self.search_indexed else []
        return httpx.Response(
            200, json={"total_count": len(items), "incomplete_results": False, "items": items}
        )


def github_writer() -> GitHubWriter:
    return GitHubWriter(REPO, "ghp_x", sleep=lambda _s: None)


def test_a_read_timeout_then_201_creates_exactly_one_github_issue(
    pilot: Pilot, respx_mock: respx.MockRouter
) -> None:
    github = FakeGitHub(respx_mock, lose_responses=1)
    result = push_approved(pilot, P, approved_action(pilot), "github", writer=github_writer())
    assert len(github.issues) == 1 and github.posts == 1
    assert result.external_id == f"{REPO}#431" and result.url == github.issues[0]["html_url"]
    label = next(n["name"] for n in github.issues[0]["labels"] if n["name"].startswith("pilot-a-"))
    assert f"<!-- pilot record: {label} -->" in github.issues[0]["body"]


def test_when_labels_were_dropped_the_body_marker_is_found_by_search(
    pilot: Pilot, respx_mock: respx.MockRouter
) -> None:
    github = FakeGitHub(respx_mock, lose_responses=1, drop_labels=True, search_indexed=True)
    result = push_approved(pilot, P, approved_action(pilot), "github", writer=github_writer())
    assert len(github.issues) == 1 and github.posts == 1 and result.external_id == f"{REPO}#431"


def test_a_5xx_before_anything_was_created_is_sent_again_after_the_search(
    pilot: Pilot, respx_mock: respx.MockRouter
) -> None:
    github = FakeGitHub(respx_mock, fail_before=1)
    result = push_approved(pilot, P, approved_action(pilot), "github", writer=github_writer())
    assert len(github.issues) == 1 and github.posts == 2 and result.created


def test_a_jira_create_that_timed_out_is_found_by_its_label(
    pilot: Pilot, respx_mock: respx.MockRouter
) -> None:
    created: list[dict[str, Any]] = []

    def create(request: httpx.Request) -> httpx.Response:
        created.append(json.loads(request.content)["fields"])
        if len(created) == 1:
            raise httpx.ReadTimeout("The read operation timed out", request=request)
        return httpx.Response(
            201, json={"id": "11000", "key": "PAY-1502", "self": f"{JIRA}/rest/api/3/issue/11000"}
        )

    def search(request: httpx.Request) -> httpx.Response:
        label = request.url.params["jql"].split('"')[1]
        hits = [{"id": "10999", "key": "PAY-1501", "fields": {}} for f in created if label in f["labels"]]
        return httpx.Response(200, json={"issues": hits, "isLast": True})

    respx_mock.post(f"{JIRA}/rest/api/3/issue").mock(side_effect=create)
    respx_mock.get(url__startswith=f"{JIRA}/rest/api/3/search/jql").mock(side_effect=search)
    respx_mock.get(url__startswith=f"{JIRA}/rest/api/3/user/search").mock(
        return_value=httpx.Response(200, json=[])
    )
    writer = JiraWriter(JIRA, "pm@acmepay.example", "token", "PAY", sleep=lambda _s: None)
    result = push_approved(pilot, P, approved_action(pilot), "jira", writer=writer)
    assert len(created) == 1 and result.external_id == "PAY-1501"


@pytest.mark.parametrize("failure", [httpx.ReadTimeout("timed out"), httpx.Response(503, text="upstream")])
def test_an_ambiguous_slack_failure_is_not_posted_again_but_recorded_for_a_human(
    pilot: Pilot, respx_mock: respx.MockRouter, failure: Any
) -> None:
    scan_program(pilot, P)
    answers = iter([failure])

    def handler(request: httpx.Request) -> httpx.Response:
        answer = next(answers, httpx.Response(200, text="ok"))
        if isinstance(answer, Exception):
            raise answer
        return answer

    route = respx_mock.post(HOOK).mock(side_effect=handler)
    hook = SlackWebhook(HOOK, sleep=lambda _s: None)
    first = notify_findings(pilot, P, webhook=hook)
    assert route.call_count == 1 and first.notified == 0 and len(first.unconfirmed_ids) == 1
    with pilot.db.transaction() as session:
        assert [e.action for e in list_events(session, program_id=P)].count(
            "writeback.slack.unconfirmed"
        ) == 1
    second = notify_findings(pilot, P, webhook=hook)  # the unconfirmed one is not sent again
    assert first.unconfirmed_ids[0] not in second.finding_ids


def test_a_slack_post_that_never_left_is_retried(pilot: Pilot, respx_mock: respx.MockRouter) -> None:
    scan_program(pilot, P)
    sent: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if not sent and not getattr(handler, "refused", False):
            handler.refused = True  # type: ignore[attr-defined]
            raise httpx.ConnectError("connection refused", request=request)
        sent.append(request.content)
        return httpx.Response(200, text="ok")

    respx_mock.post(HOOK).mock(side_effect=handler)
    result = notify_findings(pilot, P, webhook=SlackWebhook(HOOK, sleep=lambda _s: None))
    assert result.notified == len(sent) > 0 and result.unconfirmed_ids == []


def test_post_is_not_retried_after_a_5xx_but_get_is(respx_mock: respx.MockRouter) -> None:
    post = respx_mock.post("https://api.example.test/x").mock(return_value=httpx.Response(503))
    get = respx_mock.get("https://api.example.test/x").mock(
        side_effect=[httpx.Response(503), httpx.Response(200, json={})]
    )
    http = HttpClient("https://api.example.test", source="github", sleep=lambda _s: None)
    with pytest.raises(PilotError) as raised:
        http.post_json("/x", {})
    assert raised.value.code == ErrorCode.UPSTREAM_UNAVAILABLE and raised.value.details["ambiguous"]
    assert post.call_count == 1
    http.get_json("/x")
    assert get.call_count == 2


def test_post_rate_limited_is_retried_after_the_wait(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post("https://api.example.test/x").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(201, json={"id": 1})]
    )
    slept: list[float] = []
    http = HttpClient("https://api.example.test", source="github", sleep=slept.append)
    assert http.post_json("/x", {})[0] == {"id": 1} and route.call_count == 2 and slept == [7.0]


def test_the_slack_webhook_path_never_reaches_an_error_message(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(HOOK).mock(return_value=httpx.Response(404, text="no_service"))
    with pytest.raises(PilotError) as raised:
        SlackWebhook(HOOK, sleep=lambda _s: None).post("hello")
    assert "XXXX" not in raised.value.message and "B000" not in raised.value.message
