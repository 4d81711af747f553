"""The clients write-back uses, on the shared HTTP helper (retries, Retry-After, clear errors).

Creating an issue is not idempotent, so a create is never retried blindly (issue 9): before the
first POST and before every retry, the writer looks for what an earlier attempt may have made,
and it sends the POST again only after an ambiguous failure (read timeout, 5xx) and a search that
found nothing.
- Jira: `POST /rest/api/3/issue` (ADF description, assignee by account id found from the owner's
  e-mail, due date) with a `pilot-<record>` label; the lookup is a JQL search on that label.
- GitHub: `POST /repos/{repo}/issues` with the same label and a marker in the body; the lookup
  lists the repository's issues with that label (consistent at once, unlike the search API) and
  falls back to the search API on the body marker (labels are dropped when the token may not set
  them).
- Slack: an incoming webhook with mrkdwn blocks. A webhook cannot be searched, so after an
  ambiguous failure it is not posted again: the caller records it for a human.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pilot.connectors.http import HttpClient, Sleep, is_ambiguous
from pilot.domain.errors import PilotError
from pilot.retry import RetryPolicy


@dataclass(frozen=True)
class Created:
    external_id: str
    url: str | None
    existed: bool = False


def adf(*paragraphs: str) -> dict[str, Any]:
    return {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": p}]} for p in paragraphs if p],
    }


def create_once(
    policy: RetryPolicy, find: Callable[[], Created | None], create: Callable[[], Created]
) -> Created:
    """`create` at most once per ambiguous failure, each time only after `find` came back empty."""

    def attempt() -> Created:
        existing = find()
        return existing if existing is not None else create()

    return policy.call(attempt, retry_on=is_ambiguous)


class JiraWriter:
    def __init__(
        self,
        base_url: str,
        email: str,
        token: str,
        project_key: str,
        *,
        issue_type: str = "Task",
        sleep: Sleep | None = None,
    ) -> None:
        kwargs: dict[str, Any] = {"sleep": sleep} if sleep else {}
        self.base_url = base_url.rstrip("/")
        self.project_key = project_key
        self.issue_type = issue_type
        self.http = HttpClient(
            self.base_url,
            source="jira",
            auth=(email, token),
            headers={"Accept": "application/json"},
            credentials_hint="PILOT_JIRA_EMAIL / PILOT_JIRA_API_TOKEN",
            **kwargs,
        )

    def find_by_label(self, label: str) -> Created | None:
        page, _ = self.http.get_json(
            "/rest/api/3/search/jql", {"jql": f'labels = "{label}"', "fields": "key", "maxResults": 1}
        )
        issues = page.get("issues") or []
        if not issues:
            return None
        key = issues[0]["key"]
        return Created(key, f"{self.base_url}/browse/{key}", existed=True)

    def account_id(self, email: str | None) -> str | None:
        if not email:
            return None
        users, _ = self.http.get_json("/rest/api/3/user/search", {"query": email})
        return users[0].get("accountId") if isinstance(users, list) and users else None

    def create(
        self, *, summary: str, description: list[str], label: str, due: str | None, assignee_email: str | None
    ) -> Created:
        def post() -> Created:
            fields: dict[str, Any] = {
                "project": {"key": self.project_key},
                "issuetype": {"name": self.issue_type},
                "summary": summary[:250],
                "description": adf(*description),
                "labels": ["pilot", label],
            }
            if due:
                fields["duedate"] = due
            account = self.account_id(assignee_email)
            if account:
                fields["assignee"] = {"accountId": account}
            body, _ = self.http.post_json("/rest/api/3/issue", {"fields": fields})
            return Created(body["key"], f"{self.base_url}/browse/{body['key']}")

        return create_once(self.http.policy, lambda: self.find_by_label(label), post)


def github_marker(label: str) -> str:
    """The line a pilot-made GitHub issue carries in its body, found by the search API."""
    return f"<!-- pilot record: {label} -->"


class GitHubWriter:
    def __init__(
        self, repo: str, token: str, *, api_url: str = "https://api.github.com", sleep: Sleep | None = None
    ) -> None:
        kwargs: dict[str, Any] = {"sleep": sleep} if sleep else {}
        self.repo = repo
        headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        }
        self.http = HttpClient(
            api_url, source="github", headers=headers, credentials_hint="PILOT_GITHUB_TOKEN", **kwargs
        )

    def find_by_label(self, label: str) -> Created | None:
        listed, _ = self.http.get_json(
            f"/repos/{self.repo}/issues", {"labels": label, "state": "all", "per_page": 10}
        )
        found = _first_issue(listed if isinstance(listed, list) else [])
        if found is None:
            query = f'repo:{self.repo} is:issue in:body "{label}"'
            page, _ = self.http.get_json("/search/issues", {"q": query, "per_page": 10})
            items = page.get("items") if isinstance(page, dict) else None
            found = _first_issue([i for i in items or [] if github_marker(label) in (i.get("body") or "")])
        if found is None:
            return None
        return Created(f"{self.repo}#{found['number']}", found.get("html_url"), existed=True)

    def create(self, *, title: str, body: str, assignee: str | None, label: str) -> Created:
        payload: dict[str, Any] = {
            "title": title[:250],
            "body": f"{body}\n\n{github_marker(label)}",
            "labels": ["pilot", label],
        }
        if assignee:
            payload["assignees"] = [assignee]

        def post() -> Created:
            created, _ = self.http.post_json(f"/repos/{self.repo}/issues", payload)
            return Created(f"{self.repo}#{created['number']}", created.get("html_url"))

        return create_once(self.http.policy, lambda: self.find_by_label(label), post)


def _first_issue(items: list[Any]) -> dict[str, Any] | None:
    # The issues endpoints also list pull requests: those carry a `pull_request` object with a URL.
    def is_issue(item: Any) -> bool:
        pull = item.get("pull_request") if isinstance(item, dict) else None
        return isinstance(item, dict) and not (isinstance(pull, dict) and pull.get("html_url"))

    return next((i for i in items if is_issue(i)), None)


class SlackWebhook:
    def __init__(self, url: str, *, sleep: Sleep | None = None) -> None:
        kwargs: dict[str, Any] = {"sleep": sleep} if sleep else {}
        self.url = url
        self.http = HttpClient(
            url, source="slack", credentials_hint="PILOT_SLACK_WEBHOOK_URL", secret_path=True, **kwargs
        )

    def post(self, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        """One message. Raises an ambiguous PilotError (`is_ambiguous`) when Slack may have posted it."""
        self.http.request("POST", self.url, json={"text": text, **({"blocks": blocks} if blocks else {})})


def slack_unconfirmed(post: Callable[[], None]) -> PilotError | None:
    """Run one Slack post; the ambiguous error when Slack may or may not have posted it, else None.
    Every other failure (credentials, a refused payload, retries run out before sending) raises."""
    try:
        post()
    except PilotError as exc:
        if is_ambiguous(exc):
            return exc
        raise
    return None


def mrkdwn_section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}}
