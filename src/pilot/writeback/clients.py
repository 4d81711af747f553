"""The clients write-back uses, on the shared HTTP helper (retries, Retry-After, clear errors).

Jira: `POST /rest/api/3/issue` (ADF description, assignee by account id found from the owner's
e-mail, due date, a `pilot-<record>` label that a later push searches for before creating, so
a crash between create and link cannot make a duplicate). GitHub: `POST /repos/{repo}/issues`.
Slack: an incoming webhook with mrkdwn blocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pilot.connectors.http import HttpClient, Sleep


@dataclass(frozen=True)
class Created:
    external_id: str
    url: str | None
    existed: bool = False


def adf(*paragraphs: str) -> dict[str, Any]:
    return {"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": p}]} for p in paragraphs if p
    ]}  # fmt: skip


class JiraWriter:
    def __init__(self, base_url: str, email: str, token: str, project_key: str, *, issue_type: str = "Task",
                 sleep: Sleep | None = None) -> None:  # fmt: skip
        kwargs: dict[str, Any] = {"sleep": sleep} if sleep else {}
        self.base_url = base_url.rstrip("/")
        self.project_key = project_key
        self.issue_type = issue_type
        self.http = HttpClient(self.base_url, source="jira", auth=(email, token), headers={"Accept": "application/json"},
                               credentials_hint="PILOT_JIRA_EMAIL / PILOT_JIRA_API_TOKEN", **kwargs)  # fmt: skip

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
        existing = self.find_by_label(label)
        if existing is not None:
            return existing
        fields: dict[str, Any] = {
            "project": {"key": self.project_key}, "issuetype": {"name": self.issue_type},
            "summary": summary[:250], "description": adf(*description), "labels": ["pilot", label],
        }  # fmt: skip
        if due:
            fields["duedate"] = due
        account = self.account_id(assignee_email)
        if account:
            fields["assignee"] = {"accountId": account}
        body, _ = self.http.post_json("/rest/api/3/issue", {"fields": fields})
        return Created(body["key"], f"{self.base_url}/browse/{body['key']}")


class GitHubWriter:
    def __init__(
        self, repo: str, token: str, *, api_url: str = "https://api.github.com", sleep: Sleep | None = None
    ) -> None:
        kwargs: dict[str, Any] = {"sleep": sleep} if sleep else {}
        self.repo = repo
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json",
                   "X-GitHub-Api-Version": "2022-11-28"}  # fmt: skip
        self.http = HttpClient(
            api_url, source="github", headers=headers, credentials_hint="PILOT_GITHUB_TOKEN", **kwargs
        )

    def create(self, *, title: str, body: str, assignee: str | None) -> Created:
        payload: dict[str, Any] = {"title": title[:250], "body": body, "labels": ["pilot"]}
        if assignee:
            payload["assignees"] = [assignee]
        created, _ = self.http.post_json(f"/repos/{self.repo}/issues", payload)
        return Created(f"{self.repo}#{created['number']}", created.get("html_url"))


class SlackWebhook:
    def __init__(self, url: str, *, sleep: Sleep | None = None) -> None:
        kwargs: dict[str, Any] = {"sleep": sleep} if sleep else {}
        self.url = url
        self.http = HttpClient(url, source="slack", credentials_hint="PILOT_SLACK_WEBHOOK_URL", **kwargs)

    def post(self, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        self.http.request("POST", self.url, json={"text": text, **({"blocks": blocks} if blocks else {})})


def mrkdwn_section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}}
