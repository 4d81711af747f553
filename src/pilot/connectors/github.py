"""GitHub issues: REST `GET /repos/{owner}/{repo}/issues`, incremental by `since`, pages followed
through the Link header; pull requests (which that endpoint also returns) are told apart."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pilot.connectors.base import PullBatch, failure, register_source
from pilot.connectors.http import HttpClient, Sleep
from pilot.connectors.jira import ticket_document
from pilot.domain.documents import Document
from pilot.domain.errors import ErrorCode, PilotError
from pilot.settings import Settings


@register_source("github")
def github_from_settings(settings: Settings) -> GitHubConnector:
    repo, token = github_credentials(settings)
    return GitHubConnector(repo, token, api_url=settings.github_api_url)


def github_credentials(settings: Settings) -> tuple[str, str]:
    """The repository and token every GitHub pull needs (issues, delivery signals)."""
    if not (settings.github_repo and settings.github_token):
        raise PilotError(
            ErrorCode.NOT_CONFIGURED, "GitHub needs PILOT_GITHUB_REPO (owner/name) and PILOT_GITHUB_TOKEN"
        )
    return settings.github_repo, settings.github_token.get_secret_value()


def github_http(token: str, api_url: str, sleep: Sleep | None) -> HttpClient:
    """A client for GitHub's REST API with its versioned media type (retries and rate limits in HttpClient)."""
    kwargs: dict[str, Any] = {"sleep": sleep} if sleep else {}
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
    }
    return HttpClient(
        api_url, source="github", headers=headers, credentials_hint="PILOT_GITHUB_TOKEN", **kwargs
    )


class GitHubConnector:
    source = "github"

    def __init__(
        self, repo: str, token: str, *, api_url: str = "https://api.github.com", sleep: Sleep | None = None
    ) -> None:
        self.repo = repo
        self.http = github_http(token, api_url, sleep)

    def _pages(self, params: dict[str, Any]) -> Iterator[list[dict[str, Any]]]:
        url: str | None = f"/repos/{self.repo}/issues"
        query: dict[str, Any] | None = {"state": "all", "per_page": 100, **params}
        while url:
            page, response = self.http.get_json(url, query)
            yield page if isinstance(page, list) else []
            next_link = response.links.get("next", {}).get("url")
            url, query = (next_link, None) if next_link else (None, None)

    def pull(self, program_id: str, cursor: str | None) -> Iterator[PullBatch]:
        latest = cursor
        params: dict[str, Any] = {"sort": "updated", "direction": "asc"}
        if cursor:
            params["since"] = cursor
        for page in self._pages(params):
            batch = PullBatch()
            for raw in page:
                try:
                    doc = issue_document(raw, program_id, self.repo)
                except (KeyError, TypeError, ValueError) as exc:
                    batch.failures.append(
                        failure("github", str(raw.get("number")) if isinstance(raw, dict) else None, exc, raw)
                    )
                    continue
                batch.documents.append(doc)
                stamp = raw.get("updated_at")
                if stamp and (latest is None or stamp > latest):
                    latest = stamp
            batch.cursor = latest
            yield batch

    def census(self, program_id: str) -> set[str]:
        return {f"{self.repo}#{raw['number']}" for page in self._pages({}) for raw in page}


def issue_document(raw: dict[str, Any], program_id: str, repo: str) -> Document:
    number = raw["number"]
    is_pr = is_pull_request(raw)
    meta: dict[str, Any] = {
        "status": raw.get("state_reason") or raw["state"],
        "state": raw["state"],
        "closed": raw.get("closed_at"),
        "assignee": (raw.get("assignee") or {}).get("login"),
        "labels": [
            label["name"] if isinstance(label, dict) else str(label) for label in raw.get("labels") or []
        ],
        "milestone": (raw.get("milestone") or {}).get("title"),
        "due": ((raw.get("milestone") or {}).get("due_on") or "")[:10] or None,
        "issue_type": "pull_request" if is_pr else "issue",
        "is_pull_request": is_pr,
        "author": (raw.get("user") or {}).get("login"),
    }
    return ticket_document(
        "github",
        f"{repo}#{number}",
        program_id,
        raw["title"],
        raw.get("body") or "",
        meta,
        url=raw.get("html_url"),
        created=raw.get("created_at"),
        updated=raw.get("updated_at"),
    )


def is_pull_request(raw: dict[str, Any]) -> bool:
    """The issues endpoint returns pull requests too, with a `pull_request` object whose URLs are
    set. Older payloads carry `"pull_request": {"html_url": null, ...}` (or null) on plain issues."""
    ref = raw.get("pull_request")
    if not isinstance(ref, dict):
        return False
    urls = [ref[k] for k in ("url", "html_url", "diff_url", "patch_url") if k in ref]
    return any(urls) or not urls  # URLs all null: an older issue; no URL keys at all: a bare marker
