"""GitHub delivery facts: Actions workflow runs on the default branch, pull requests, and when
each pull request first got a review. REST API 2022-11-28:

- `GET /repos/{o}/{r}` for `default_branch`;
- `GET /repos/{o}/{r}/actions/runs?branch=<default>&created=>=<day>` (newest first, `workflow_runs`);
- `GET /repos/{o}/{r}/pulls?state=all&sort=updated&direction=desc` (read until a page reaches
  pull requests not updated since the cursor), and for each one that changed
  `GET /repos/{o}/{r}/pulls/{n}/reviews` (the first submitted review by someone other than the
  author; pending reviews have no `submitted_at`).

Incremental: runs are asked from the day of the oldest run that was still running at the last
sync (or the newest seen), pull requests down to the last `updated_at` seen. Both lists come
newest first, so each page is stored as it arrives and the stream's cursor moves when the stream
is complete. Pages follow the Link header. Logins are read (to tell the author's own reviews
apart) but never stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pilot.connectors.base import failure
from pilot.connectors.delivery_batch import ITEM_ERRORS, DeliveryBatch, required_time
from pilot.connectors.github import github_credentials, github_http
from pilot.connectors.http import Sleep
from pilot.connectors.jira import parse_time
from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.signals import CiRun, PullRequest
from pilot.settings import Settings

PAGE_SIZE = 100


def github_delivery_from_settings(settings: Settings) -> GitHubDelivery:
    repo, token = github_credentials(settings)
    return GitHubDelivery(repo, token, api_url=settings.github_api_url)


class GitHubDelivery:
    source = "github-delivery"

    def __init__(
        self, repo: str, token: str, *, api_url: str = "https://api.github.com", sleep: Sleep | None = None
    ) -> None:
        self.repo = repo
        self.http = github_http(token, api_url, sleep)

    def _pages(self, url: str, params: dict[str, Any]) -> Iterator[Any]:
        next_url: str | None = url
        query: dict[str, Any] | None = {"per_page": PAGE_SIZE, **params}
        while next_url:
            body, response = self.http.get_json(next_url, query)
            yield body
            link = response.links.get("next", {}).get("url")
            next_url, query = (link, None) if link else (None, None)

    def default_branch(self) -> str:
        body, _ = self.http.get_json(f"/repos/{self.repo}")
        branch = body.get("default_branch") if isinstance(body, dict) else None
        if not isinstance(branch, str) or not branch:
            raise PilotError(ErrorCode.UPSTREAM_INVALID_OUTPUT, f"github: {self.repo} has no default_branch")
        return branch

    def runs(self, since: str | None) -> Iterator[DeliveryBatch]:
        """Pages of default-branch runs; the last page carries the next cursor."""
        branch = self.default_branch()
        params: dict[str, Any] = {"branch": branch}
        if since:
            params["created"] = f">={since[:10]}"
        newest: datetime | None = None
        oldest_running: datetime | None = None
        for body in self._pages(f"/repos/{self.repo}/actions/runs", params):
            raw_runs = body.get("workflow_runs") if isinstance(body, dict) else None
            if not isinstance(raw_runs, list):
                raise PilotError(
                    ErrorCode.UPSTREAM_INVALID_OUTPUT, "github: the runs answer has no workflow_runs"
                )
            batch = DeliveryBatch()
            for raw in raw_runs:
                try:
                    run = ci_run(raw, self.repo, branch)
                except ITEM_ERRORS as exc:
                    batch.failures.append(failure("github", _id(raw, "id"), exc, raw))
                    continue
                batch.runs.append(run)
                newest = max(newest or run.created_at, run.created_at)
                if run.status != "completed":
                    oldest_running = min(oldest_running or run.created_at, run.created_at)
            yield batch
        cursor = oldest_running or newest
        yield DeliveryBatch(cursor=cursor.isoformat() if cursor else since)

    def pulls(self, since: str | None) -> Iterator[DeliveryBatch]:
        """Pages of pull requests updated since the cursor (with first reviews); the last page
        carries the next cursor."""
        after = parse_time(since) if since else None
        newest = after
        params = {"state": "all", "sort": "updated", "direction": "desc"}
        for body in self._pages(f"/repos/{self.repo}/pulls", params):
            if not isinstance(body, list):
                raise PilotError(ErrorCode.UPSTREAM_INVALID_OUTPUT, "github: the pulls answer is not a list")
            batch = DeliveryBatch()
            older = False
            for raw in body:
                try:
                    updated = required_time(raw.get("updated_at"))
                    if after is not None and updated < after:
                        older = True  # newest first: the rest were not updated since the last sync
                        break
                    pr = self._pull(raw)
                except ITEM_ERRORS as exc:
                    batch.failures.append(failure("github", _id(raw, "number"), exc, raw))
                    continue
                batch.pulls.append(pr)
                newest = max(newest or pr.updated_at, pr.updated_at)
            yield batch
            if older:
                break
        yield DeliveryBatch(cursor=newest.isoformat() if newest else since)

    def _pull(self, raw: dict[str, Any]) -> PullRequest:
        author = (raw.get("user") or {}).get("login")
        first: datetime | None = None
        for body in self._pages(f"/repos/{self.repo}/pulls/{raw['number']}/reviews", {}):
            for review in body if isinstance(body, list) else []:
                submitted = parse_time(review.get("submitted_at"))
                if submitted is None or review.get("state") == "PENDING":
                    continue
                if (review.get("user") or {}).get("login") == author:
                    continue
                first = min(first or submitted, submitted)
        return pull_request(raw, self.repo, first)


def _id(raw: Any, name: str) -> str | None:
    return str(raw.get(name)) if isinstance(raw, dict) and raw.get(name) is not None else None


def ci_run(raw: dict[str, Any], repo: str, default_branch: str) -> CiRun:
    created = required_time(raw["created_at"])
    return CiRun(
        repo=repo,
        run_id=int(raw["id"]),
        workflow=str(raw.get("name") or raw.get("path") or raw["workflow_id"]),
        branch=str(raw.get("head_branch") or ""),
        default_branch=default_branch,
        event=raw.get("event"),
        status=str(raw["status"]),
        conclusion=raw.get("conclusion"),
        created_at=created,
        updated_at=parse_time(raw.get("updated_at")) or created,
        url=raw.get("html_url"),
    )


def pull_request(raw: dict[str, Any], repo: str, first_review_at: datetime | None) -> PullRequest:
    created = required_time(raw["created_at"])
    return PullRequest(
        repo=repo,
        number=int(raw["number"]),
        title=str(raw.get("title") or ""),
        state=str(raw["state"]),
        draft=bool(raw.get("draft")),
        created_at=created,
        updated_at=parse_time(raw.get("updated_at")) or created,
        closed_at=parse_time(raw.get("closed_at")),
        merged_at=parse_time(raw.get("merged_at")),
        first_review_at=first_review_at,
        url=raw.get("html_url"),
    )
