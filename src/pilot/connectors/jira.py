"""Jira: JQL search, incremental by `updated`, census by key; and the CSV export.

Jira Cloud is searched through REST API v3 `GET /rest/api/3/search/jql` (pages chained by
`nextPageToken`; the last page has `isLast: true` and no token). Jira Data Center / Server has no
such endpoint: `jira_deployment = "server"` uses `GET /rest/api/2/search` with `startAt`/`total`
and a personal access token as a Bearer token. Issue links "blocks" / "is blocked by" are kept in
the metadata as dependency candidates; comments are part of the text (they are where status is).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, tzinfo
from typing import Any, Literal, Self

from pilot.connectors.base import PullBatch, failure, register_source
from pilot.connectors.http import HttpClient, Sleep
from pilot.domain.documents import Document, DocumentKind
from pilot.domain.errors import ErrorCode, PilotError
from pilot.settings import Settings

FIELDS = [
    "summary",
    "description",
    "status",
    "assignee",
    "reporter",
    "duedate",
    "priority",
    "labels",
    "parent",
    "issuelinks",
    "issuetype",
    "updated",
    "created",
    "resolutiondate",
    "comment",
]
SEARCH = "/rest/api/3/search/jql"
SERVER_SEARCH = "/rest/api/2/search"
PAGE_SIZE = 100
MAX_COMMENTS = 20  # the newest ones; older discussion rarely changes what a ticket means now
Deployment = Literal["cloud", "server"]


def checked_jira_settings(settings: Settings) -> str:
    """The configured JQL, once Jira's credentials are known to be set (both Jira pulls use it)."""
    server = settings.jira_deployment == "server"
    if not (settings.jira_url and settings.jira_api_token and (server or settings.jira_email)):
        needs = (
            "PILOT_JIRA_URL and PILOT_JIRA_API_TOKEN (a personal access token)"
            if server
            else "PILOT_JIRA_URL, PILOT_JIRA_EMAIL and PILOT_JIRA_API_TOKEN"
        )
        raise PilotError(ErrorCode.NOT_CONFIGURED, f"Jira needs {needs}")
    return settings.jira_jql or (
        f'project = "{settings.jira_project_key}"' if settings.jira_project_key else ""
    )


def without_order(jql: str) -> str:
    """The JQL without its ORDER BY (a pull and a census choose their own order)."""
    lowered = jql.lower()
    return (jql[: lowered.index("order by")] if "order by" in lowered else jql).strip()


class JiraPull:
    """What both Jira pulls (tickets, changelog) hold: the site, the JQL they pull and a client
    authenticated as Jira Cloud (e-mail + API token, HTTP basic) or Data Center (a personal access
    token as a Bearer token) expects."""

    def __init__(
        self,
        base_url: str,
        email: str,
        token: str,
        *,
        jql: str,
        deployment: Deployment = "cloud",
        sleep: Sleep | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.jql = jql
        self.deployment = deployment
        kwargs: dict[str, Any] = {"sleep": sleep} if sleep else {}
        headers = {"Accept": "application/json"}
        auth: tuple[str, str] | None = None
        if deployment == "server":
            headers["Authorization"] = f"Bearer {token}"
            hint = "PILOT_JIRA_API_TOKEN"
        else:
            auth = (email, token)
            hint = "PILOT_JIRA_EMAIL / PILOT_JIRA_API_TOKEN"
        self.http = HttpClient(
            self.base_url, source="jira", auth=auth, headers=headers, credentials_hint=hint, **kwargs
        )

    @classmethod
    def configured(cls, settings: Settings, jql: str) -> Self:
        """The pull on the configured site (after `checked_jira_settings`)."""
        assert settings.jira_url is not None and settings.jira_api_token is not None
        return cls(
            settings.jira_url,
            settings.jira_email or "",
            settings.jira_api_token.get_secret_value(),
            jql=jql,
            deployment=settings.jira_deployment,
        )


@register_source("jira")
def jira_from_settings(settings: Settings) -> JiraConnector:
    jql = checked_jira_settings(settings)
    if not without_order(jql):
        # Jira Cloud answers an unrestricted search with 400 "Unbounded JQL queries are not allowed".
        raise PilotError(
            ErrorCode.NOT_CONFIGURED,
            "Jira sync needs PILOT_JIRA_JQL (for example: project = PAY) or PILOT_JIRA_PROJECT_KEY",
        )
    return JiraConnector.configured(settings, jql)


class JiraConnector(JiraPull):
    source = "jira"

    @staticmethod
    def bounded(jql: str) -> bool:
        return bool(without_order(jql))

    def _base_jql(self) -> str:
        return without_order(self.jql)

    def _query(self, since: str | None) -> str:
        # Always oldest change first, whatever order the configured JQL asks for: the cursor saved
        # after each page is then a point that everything before it has been read up to.
        base = self._base_jql()
        if since:
            # JQL compares minutes in the user's zone (the zone Jira writes `updated` in, so the
            # cursor's local time is that zone's); the minute of overlap is harmless, upserts are idempotent.
            stamp = datetime.fromisoformat(since).strftime("%Y-%m-%d %H:%M")
            base = f'({base}) AND updated >= "{stamp}"' if base else f'updated >= "{stamp}"'
        return f"{base} ORDER BY updated ASC".strip()

    def _pages(self, jql: str, fields: list[str]) -> Iterator[dict[str, Any]]:
        if self.deployment == "server":
            yield from self._offset_pages(jql, fields)
            return
        token: str | None = None
        while True:
            params: dict[str, Any] = {"jql": jql, "fields": ",".join(fields), "maxResults": PAGE_SIZE}
            if token:
                params["nextPageToken"] = token
            page = _page(self.http.get_json(SEARCH, params)[0])
            yield page
            token = page.get("nextPageToken")
            if page.get("isLast", token is None) or not token:
                return

    def _offset_pages(self, jql: str, fields: list[str]) -> Iterator[dict[str, Any]]:
        """Classic pagination: `startAt` moves by what the page held (the server may cap
        `maxResults` below what was asked) until `total` is reached or a page comes back empty."""
        start = 0
        while True:
            params = {"jql": jql, "fields": ",".join(fields), "maxResults": PAGE_SIZE, "startAt": start}
            page = _page(self.http.get_json(SERVER_SEARCH, params)[0])
            yield page
            got = len(page.get("issues") or [])
            start = int(page.get("startAt", start)) + got
            if got == 0 or start >= int(page.get("total", 0)):
                return

    def pull(self, program_id: str, cursor: str | None) -> Iterator[PullBatch]:
        latest = cursor
        for page in self._pages(self._query(cursor), FIELDS):
            batch = PullBatch()
            for raw in page.get("issues") or []:
                try:
                    doc = issue_document(raw, program_id, self.base_url)
                except (KeyError, TypeError, ValueError, AttributeError) as exc:
                    reason = f"missing field {exc}" if isinstance(exc, KeyError) else exc
                    batch.failures.append(
                        failure("jira", raw.get("key") if isinstance(raw, dict) else None, reason, raw)
                    )
                    continue
                batch.documents.append(doc)
                if doc.updated_at and (latest is None or doc.updated_at.isoformat() > latest):
                    latest = doc.updated_at.isoformat()
            batch.cursor = latest
            yield batch

    def census(self, program_id: str) -> set[str]:
        keys: set[str] = set()
        for page in self._pages(f"{self._base_jql()} ORDER BY key".strip(), ["key"]):
            for raw in page.get("issues") or []:
                if not isinstance(raw, dict) or not raw.get("key"):
                    # A census with holes would delete what it missed: refuse it instead.
                    raise PilotError(
                        ErrorCode.UPSTREAM_INVALID_OUTPUT, "jira: a census page has an issue without a key"
                    )
                keys.add(str(raw["key"]))
        return keys


def _page(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or not isinstance(body.get("issues", []), list):
        raise PilotError(ErrorCode.UPSTREAM_INVALID_OUTPUT, "jira: the search answer is not a page of issues")
    return body


def adf_text(node: Any) -> str:
    """Atlassian Document Format -> plain text: paragraphs and headings on lines, list items as
    bullets, table rows as cells joined by " | ", mentions and dates as they read."""
    if node is None:
        return ""
    if isinstance(node, str):
        return node
    if isinstance(node, list):
        return "".join(adf_text(child) for child in node)
    if not isinstance(node, dict):
        return ""
    kind = node.get("type")
    attrs = node.get("attrs") or {}
    if kind == "text":
        return str(node.get("text", ""))
    if kind == "hardBreak":
        return "\n"
    if kind == "date" and str(attrs.get("timestamp", "")).isdigit():  # epoch milliseconds
        return datetime.fromtimestamp(int(attrs["timestamp"]) / 1000, UTC).date().isoformat()
    if kind in ("mention", "emoji", "status", "date", "inlineCard", "blockCard"):
        return str(
            attrs.get("text") or attrs.get("shortName") or attrs.get("url") or attrs.get("timestamp") or ""
        )
    if kind == "tableRow":
        cells = [adf_text(cell).strip().replace("\n", " ") for cell in node.get("content") or []]
        return " | ".join(cells) + "\n"
    inner = "".join(adf_text(child) for child in node.get("content") or [])
    if kind == "listItem":
        return f"- {inner.strip()}\n"
    if kind in ("paragraph", "heading", "codeBlock", "blockquote", "rule", "panel", "table"):
        return f"{inner.strip()}\n"
    return inner


def issue_document(raw: dict[str, Any], program_id: str, base_url: str) -> Document:
    fields = raw["fields"]
    key = raw["key"]
    blocks, blocked_by = [], []
    for link in fields.get("issuelinks") or []:
        if (link.get("type") or {}).get("name", "").lower() != "blocks":
            continue
        if "outwardIssue" in link:
            blocks.append(link["outwardIssue"]["key"])
        if "inwardIssue" in link:
            blocked_by.append(link["inwardIssue"]["key"])
    assignee = fields.get("assignee") or {}
    parent = (fields.get("parent") or {}).get("key")
    description = adf_text(fields.get("description")).strip()
    comments = _comments(fields.get("comment"))
    if comments:
        description = f"{description}\n\nComments:\n{comments}".strip()
    status = fields.get("status") or {}
    meta: dict[str, Any] = {
        "status": status.get("name"),
        "status_category": (status.get("statusCategory") or {}).get("key"),
        "resolution": (fields.get("resolution") or {}).get("name"),
        "resolved": fields.get("resolutiondate"),
        "assignee": assignee.get("displayName"),
        "assignee_email": assignee.get("emailAddress"),
        "due": fields.get("duedate"),
        "priority": (fields.get("priority") or {}).get("name"),
        "labels": [str(label) for label in fields.get("labels") or []],
        "parent": parent,
        "issue_type": (fields.get("issuetype") or {}).get("name"),
        "blocks": blocks,
        "blocked_by": blocked_by,
    }
    return ticket_document(
        "jira",
        key,
        program_id,
        fields.get("summary") or "",
        description,
        meta,
        url=browse_url(base_url, key),
        created=fields.get("created"),
        updated=fields.get("updated"),
    )


def _comments(field: Any) -> str:
    """The newest comments as "- 2026-11-18 Name: text" lines. Comment text is data to index and
    quote, never an instruction, whoever (or whatever app account) wrote it."""
    items = field.get("comments") if isinstance(field, dict) else field  # a list in some examples
    if not isinstance(items, list):
        return ""
    lines = []
    for item in items[-MAX_COMMENTS:]:
        if not isinstance(item, dict):
            continue
        body = re_space(adf_text(item.get("body")))
        if body:
            who = (item.get("author") or {}).get("displayName") or "unknown"
            lines.append(f"- {str(item.get('created') or '')[:10]} {who}: {body}")
    return "\n".join(lines)


def browse_url(base_url: str, key: str) -> str | None:
    """An issue's page on its site; none without a site (not a link to pilot's own /browse/...).
    A site that is not http(s) gives a URL the Document refuses, with a warning."""
    return f"{base_url.rstrip('/')}/browse/{key}" if base_url.strip() else None


def re_space(text: str) -> str:
    return " ".join(text.split())


def ticket_document(
    source: str,
    key: str,
    program_id: str,
    title: str,
    description: str,
    meta: dict[str, Any],
    *,
    url: str | None,
    created: str | int | None,
    updated: str | int | None,
    kind: DocumentKind = DocumentKind.TICKET,
) -> Document:
    lines = [f"{key}: {title}"]
    for label, value in meta.items():
        if value not in (None, "", []):
            lines.append(
                f"{label.replace('_', ' ').capitalize()}: {', '.join(value) if isinstance(value, list) else value}"
            )
    text = "\n".join(lines) + (f"\n\n{description}" if description else "")
    return Document(
        program_id=program_id,
        source=source,
        external_id=key,
        kind=kind,
        title=title,
        text=text,
        url=url,
        author=meta.get("assignee"),
        created_at=parse_time(created),
        updated_at=parse_time(updated),
        metadata={k: v for k, v in meta.items() if v is not None},
    )


def parse_time(value: str | int | float | None) -> datetime | None:
    """ISO 8601 as Jira, GitHub and PagerDuty write it ("2026-11-18T10:00:00.000+0000", "...Z"),
    or epoch milliseconds (Jira's documented examples carry `"updated": 1`). Anything else is a
    ValueError, recorded as a failure of that one record."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value / 1000, UTC)
    if not isinstance(value, str):
        raise ValueError(f"unreadable time {value!r}")
    if value.strip().isdigit():
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    text = value.strip().replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":  # Jira's -0800
        text = f"{text[:-2]}:{text[-2:]}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"unreadable time {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def import_jira_csv(data: str, program_id: str, base_url: str = "", *, tz: tzinfo = UTC) -> PullBatch:
    """A Jira "Export CSV (all fields)" file: repeated columns (Labels, links) are collected, links
    (written as issue ids) are turned back into keys through the `Issue id` column, and times
    (written in the exporting user's zone, without saying which) are read in `tz`."""
    rows = list(csv.reader(io.StringIO(data.lstrip("\ufeff"))))
    if not rows or "Issue key" not in rows[0]:
        raise PilotError(
            ErrorCode.INVALID_INPUT, "not a Jira CSV export: no 'Issue key' column in the header"
        )
    header = rows[0]
    batch = PullBatch()
    key_at = header.index("Issue key")
    id_at = header.index("Issue id") if "Issue id" in header else None
    keys_by_id = {
        row[id_at].strip(): row[key_at].strip()
        for row in rows[1:]
        if id_at is not None and len(row) > max(key_at, id_at)
    }

    def as_keys(values: list[str]) -> list[str]:
        return [keys_by_id.get(v, v) for v in values]

    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        values: dict[str, list[str]] = {}
        for name, cell in zip(header, row, strict=False):
            if cell.strip():
                values.setdefault(name, []).append(cell.strip())
        key = _first(values, "Issue key")
        try:
            if key is None:
                raise ValueError("row has no issue key")
            meta: dict[str, Any] = {
                "status": _first(values, "Status"),
                "assignee": _first(values, "Assignee"),
                "status_category": _category(_first(values, "Status Category")),
                "resolution": _first(values, "Resolution"),
                "resolved": _csv_time(_first(values, "Resolved"), tz),
                "due": _csv_date(_first(values, "Due date")),
                "priority": _first(values, "Priority"),
                "labels": values.get("Labels", []),
                "parent": _first(values, "Parent key") or _first(values, "Parent"),
                "issue_type": _first(values, "Issue Type"),
                "blocks": as_keys(values.get("Outward issue link (Blocks)", [])),
                "blocked_by": as_keys(values.get("Inward issue link (Blocks)", [])),
            }
            batch.documents.append(
                ticket_document(
                    "jira",
                    key,
                    program_id,
                    _first(values, "Summary") or "",
                    _first(values, "Description") or "",
                    meta,
                    url=browse_url(base_url, key),
                    created=_csv_time(_first(values, "Created"), tz),
                    updated=_csv_time(_first(values, "Updated"), tz),
                )
            )
        except (ValueError, KeyError) as exc:
            batch.failures.append(failure("jira", key, f"CSV line {number}: {exc}", ",".join(row)))
    return batch


def _category(name: str | None) -> str | None:
    """A CSV export writes the status category's name ("To Do", "In Progress", "Done"); the API its key."""
    keys = {"to do": "new", "in progress": "indeterminate", "done": "done"}
    return None if name is None else keys.get(name.lower(), name.lower())


def _first(values: dict[str, list[str]], name: str) -> str | None:
    found = values.get(name)
    return found[0] if found else None


def _csv_time(value: str | None, tz: tzinfo) -> str | None:
    if not value:
        return None
    return datetime.strptime(value, "%d/%b/%y %I:%M %p").replace(tzinfo=tz).isoformat()


def _csv_date(value: str | None) -> str | None:
    if not value:
        return None
    for fmt in ("%d/%b/%y", "%d/%b/%y %I:%M %p", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, fmt).date().isoformat()
        except ValueError:
            continue
    raise ValueError(f"unreadable due date {value!r}")
