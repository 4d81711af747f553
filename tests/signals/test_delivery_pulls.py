"""The delivery pulls against respx, on the providers' real payloads (the sample's saved answers):
GitHub Actions runs on the default branch, pull requests and their reviews, the Jira search with
changelog and the changelog endpoint; incremental cursors, checkpoints that survive a failure,
unreadable items recorded as failures, and what ends up stored."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx
import pytest
import respx

from pilot.connectors.github_delivery import GitHubDelivery
from pilot.connectors.jira_changelog import JiraChangelog
from pilot.domain.errors import ErrorCode, PilotError
from pilot.pipeline.context import Pilot
from pilot.pipeline.delivery import sync_delivery
from pilot.sample import SAMPLE_PROGRAM_ID, delivery_dir
from pilot.store.delivery import load_delivery
from pilot.store.documents import get_sync_state

P = SAMPLE_PROGRAM_ID
API = "https://api.github.com"
REPO = "acmepay/payment-orchestration"
JIRA = "https://acmepay.atlassian.net"


def saved(name: str) -> Any:
    return json.loads((delivery_dir() / name).read_text(encoding="utf-8"))


def github() -> GitHubDelivery:
    return GitHubDelivery(REPO, "ghp_secret", sleep=lambda _s: None)


def mock_github(router: respx.MockRouter, *, pulls: list[Any] | None = None) -> dict[str, respx.Route]:
    runs = saved("delivery_github_actions_runs.json")
    first, rest = runs["workflow_runs"][:10], runs["workflow_runs"][10:]
    next_runs = f'<{API}/repositories/712345678/actions/runs?branch=main&per_page=100&page=2>; rel="next"'
    pulls = saved("delivery_github_pulls.json") if pulls is None else pulls
    next_pulls = f'<{API}/repositories/712345678/pulls?state=all&page=2>; rel="next"'
    routes = {
        "repo": router.get(f"{API}/repos/{REPO}").respond(200, json=saved("delivery_github_repo.json")),
        "runs": router.get(f"{API}/repos/{REPO}/actions/runs").respond(
            200, json={"total_count": 19, "workflow_runs": first}, headers={"Link": next_runs}
        ),
        "runs2": router.get(f"{API}/repositories/712345678/actions/runs").respond(
            200, json={"total_count": 19, "workflow_runs": rest}
        ),
        "pulls": router.get(f"{API}/repos/{REPO}/pulls").respond(
            200, json=pulls[:5], headers={"Link": next_pulls}
        ),
        "pulls2": router.get(f"{API}/repositories/712345678/pulls").respond(200, json=pulls[5:]),
    }
    for number in (4810, 4814, 4817, 4819, 4821, 4823, 4825, 4830):
        path = delivery_dir() / f"delivery_github_reviews_{number}.json"
        body = json.loads(path.read_text()) if path.exists() else []
        routes[f"reviews{number}"] = router.get(f"{API}/repos/{REPO}/pulls/{number}/reviews").respond(
            200, json=body
        )
    return routes


def state(pilot: Pilot, name: str) -> Any:
    with pilot.db.transaction() as session:
        return get_sync_state(session, P, name)


def test_github_runs_and_pulls_are_pulled_stored_and_resumed_from_their_cursors(
    pilot: Pilot, respx_mock: respx.MockRouter
) -> None:
    routes = mock_github(respx_mock)
    report = sync_delivery(pilot, P, "github", client=github())
    assert (report.runs, report.pulls, report.failures) == (19, 8, [])
    params = routes["runs"].calls[0].request.url.params
    assert params["branch"] == "main" and "created" not in params and params["per_page"] == "100"
    assert routes["runs2"].called and routes["pulls2"].called  # Link headers followed
    headers = routes["repo"].calls[0].request.headers
    assert headers["Authorization"] == "Bearer ghp_secret" and headers["X-GitHub-Api-Version"] == "2022-11-28"
    with pilot.db.transaction() as session:
        runs, pulls, _, _ = load_delivery(session, P)
    assert {r.default_branch for r in runs} == {"main"} and len(runs) == 19
    first_review = {p.number: p.first_review_at for p in pulls}
    assert first_review[4821] is None  # only the author's own note: not a review
    assert first_review[4810] is not None and first_review[4810].isoformat() == "2026-11-14T00:30:00+00:00"
    cursor = state(pilot, "github-delivery").cursor
    # Runs resume from the run still in progress; pulls from the newest update seen.
    assert cursor == {"runs": "2026-11-21T00:20:00+00:00", "pulls": "2026-11-20T22:05:00+00:00"}

    for route in routes.values():
        route.reset()
    again = sync_delivery(pilot, P, "github", client=github())
    assert routes["runs"].calls[0].request.url.params["created"] == ">=2026-11-21"
    assert again.pulls == 1 and not routes["pulls2"].called  # stops at pull requests not updated since
    assert routes["reviews4823"].call_count == 1 and not routes["reviews4810"].called
    assert again.changed == 0  # nothing new: upserts change nothing


def test_a_failing_pull_keeps_what_it_stored_and_its_cursor(
    pilot: Pilot, respx_mock: respx.MockRouter
) -> None:
    routes = mock_github(respx_mock)
    routes["pulls"].mock(return_value=httpx.Response(502, text="Bad gateway"))
    with pytest.raises(PilotError) as raised:
        sync_delivery(pilot, P, "github", client=github())
    assert raised.value.code == ErrorCode.UPSTREAM_UNAVAILABLE
    saved_state = state(pilot, "github-delivery")
    assert "502" in (saved_state.last_error or "") and set(saved_state.cursor) == {"runs"}
    with pilot.db.transaction() as session:
        assert len(load_delivery(session, P)[0]) == 19


def test_an_unreadable_run_is_a_failure_and_the_rest_are_stored(
    pilot: Pilot, respx_mock: respx.MockRouter
) -> None:
    routes = mock_github(respx_mock, pulls=[])
    runs = saved("delivery_github_actions_runs.json")["workflow_runs"]
    broken = copy.deepcopy(runs[:3])
    del broken[1]["created_at"]
    routes["runs"].mock(return_value=httpx.Response(200, json={"total_count": 3, "workflow_runs": broken}))
    report = sync_delivery(pilot, P, "github", client=github())
    assert (
        report.runs == 2
        and len(report.failures) == 1
        and report.failures[0].external_id == str(broken[1]["id"])
    )


def jira_page(*, truncate: str | None = None) -> dict[str, Any]:
    page: dict[str, Any] = saved("delivery_jira_search_changelog.json")
    if truncate:
        issue = next(i for i in page["issues"] if i["key"] == truncate)
        histories = issue["changelog"]["histories"]
        issue["changelog"] = {
            "startAt": 0,
            "maxResults": 2,
            "total": len(histories),
            "histories": histories[-2:],
        }
    return page


def changelog_page(histories: list[Any], start: int, total: int, last: bool) -> dict[str, Any]:
    """`GET /rest/api/3/issue/{key}/changelog`: a PageBeanChangelog."""
    body: dict[str, Any] = {
        "self": f"{JIRA}/rest/api/3/issue/PAY-1412/changelog?startAt={start}&maxResults=2",
        "maxResults": 2,
        "startAt": start,
        "total": total,
        "isLast": last,
        "values": histories,
    }
    if not last:
        body["nextPage"] = (
            f"{JIRA}/rest/api/3/issue/PAY-1412/changelog?startAt={start + len(histories)}&maxResults=2"
        )
    return body


def test_jira_changelog_from_the_search_and_the_changelog_endpoint(
    pilot: Pilot, respx_mock: respx.MockRouter
) -> None:
    full = next(i for i in jira_page()["issues"] if i["key"] == "PAY-1412")["changelog"]["histories"]
    search = respx_mock.get(f"{JIRA}/rest/api/3/search/jql").respond(200, json=jira_page(truncate="PAY-1412"))

    def changelog_answer(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params["startAt"])
        return httpx.Response(200, json=changelog_page(full[start : start + 2], start, 4, start + 2 >= 4))

    changelog = respx_mock.get(f"{JIRA}/rest/api/3/issue/PAY-1412/changelog").mock(
        side_effect=changelog_answer
    )
    client = JiraChangelog(JIRA, "pm@acmepay.example", "token", jql="project = PAY", sleep=lambda _s: None)
    report = sync_delivery(pilot, P, "jira", client=client)
    params = search.calls[0].request.url.params
    assert params["expand"] == "changelog" and params["jql"] == "(project = PAY) ORDER BY updated ASC"
    assert [c.request.url.params["startAt"] for c in changelog.calls] == ["0", "2"]
    assert report.tickets == 8 and report.failures == []
    with pilot.db.transaction() as session:
        _, _, tickets, changes = load_delivery(session, P)
    assert len([c for c in changes if c.key == "PAY-1412"]) == 4  # all four moves, not the embedded two
    assert {t.key: t.status_category for t in tickets}["PAY-1421"] == "done"
    assert {c.field for c in changes} == {"status", "Flagged"}
    cursor = state(pilot, "jira-changelog").cursor["tickets"]
    assert cursor.startswith("2026-11-19T18:20:00")

    search.reset()
    sync_delivery(pilot, P, "jira", client=client)
    assert 'updated >= "2026-11-19 18:20"' in search.calls[0].request.url.params["jql"]


def test_jira_data_center_pages_by_start_at(pilot: Pilot, respx_mock: respx.MockRouter) -> None:
    issues = jira_page()["issues"]
    route = respx_mock.get(f"{JIRA}/rest/api/2/search").mock(
        side_effect=[
            httpx.Response(200, json={"startAt": 0, "maxResults": 5, "total": 8, "issues": issues[:5]}),
            httpx.Response(200, json={"startAt": 5, "maxResults": 5, "total": 8, "issues": issues[5:]}),
        ]
    )
    client = JiraChangelog(JIRA, "", "pat", jql="project = PAY", deployment="server", sleep=lambda _s: None)
    report = sync_delivery(pilot, P, "jira", client=client)
    assert report.tickets == 8 and [c.request.url.params["startAt"] for c in route.calls] == ["0", "5"]
    assert route.calls[0].request.headers["Authorization"] == "Bearer pat"


def test_an_unconfigured_source_says_what_is_missing(pilot: Pilot) -> None:
    with pytest.raises(PilotError) as raised:
        sync_delivery(pilot, P, "github")
    assert raised.value.code == ErrorCode.NOT_CONFIGURED and "PILOT_GITHUB_REPO" in raised.value.message
