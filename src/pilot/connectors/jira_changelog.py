"""Jira ticket states and their changelog (status moves and the Flagged field), for the reopened
and blocked-ticket signals.

Jira Cloud: `GET /rest/api/3/search/jql?expand=changelog` (oldest change first, pages chained by
`nextPageToken`); an issue's embedded changelog is complete when `total` is no more than the
histories it holds, otherwise the rest is read from `GET /rest/api/3/issue/{key}/changelog`
(`startAt` pages, `isLast`). Data Center: `GET /rest/api/2/search?expand=changelog` with
`startAt`/`total`, whose embedded changelog is complete. Incremental by `updated` like the
ticket pull, with the cursor saved after every page. Authors of changes are never stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pilot.connectors.base import failure
from pilot.connectors.delivery_batch import ITEM_ERRORS, DeliveryBatch, required_time
from pilot.connectors.jira import (
    SEARCH,
    SERVER_SEARCH,
    JiraPull,
    browse_url,
    checked_jira_settings,
    parse_time,
    without_order,
)
from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.signals import Ticket, TicketChange
from pilot.settings import Settings

FIELDS = "summary,status,updated"
KEPT_FIELDS = frozenset({"status", "flagged"})
PAGE_SIZE = 50


def jira_changelog_from_settings(settings: Settings) -> JiraChangelog:
    base = without_order(checked_jira_settings(settings))
    if not base:
        raise PilotError(
            ErrorCode.NOT_CONFIGURED, "the Jira changelog pull needs PILOT_JIRA_JQL or PILOT_JIRA_PROJECT_KEY"
        )
    return JiraChangelog.configured(settings, base)


class JiraChangelog(JiraPull):
    source = "jira-changelog"

    def _query(self, since: str | None) -> str:
        if not since:
            return f"({self.jql}) ORDER BY updated ASC"
        stamp = datetime.fromisoformat(since).strftime("%Y-%m-%d %H:%M")
        return f'({self.jql}) AND updated >= "{stamp}" ORDER BY updated ASC'

    def _pages(self, jql: str) -> Iterator[list[Any]]:
        params: dict[str, Any] = {
            "jql": jql,
            "fields": FIELDS,
            "expand": "changelog",
            "maxResults": PAGE_SIZE,
        }
        if self.deployment == "server":
            start = 0
            while True:
                page = _page(self.http.get_json(SERVER_SEARCH, {**params, "startAt": start})[0])
                issues = page.get("issues") or []
                yield issues
                start = int(page.get("startAt", start)) + len(issues)
                if not issues or start >= int(page.get("total", 0)):
                    return
        token: str | None = None
        while True:
            page = _page(
                self.http.get_json(SEARCH, {**params, **({"nextPageToken": token} if token else {})})[0]
            )
            yield page.get("issues") or []
            token = page.get("nextPageToken")
            if page.get("isLast", token is None) or not token:
                return

    def pull(self, since: str | None) -> Iterator[DeliveryBatch]:
        latest = since
        for issues in self._pages(self._query(since)):
            batch = DeliveryBatch()
            for raw in issues:
                try:
                    ticket = ticket_state(raw, self.base_url)
                    batch.changes.extend(self._changes(raw))
                except ITEM_ERRORS as exc:
                    batch.failures.append(
                        failure("jira", raw.get("key") if isinstance(raw, dict) else None, exc, raw)
                    )
                    continue
                batch.tickets.append(ticket)
                if ticket.updated_at and (latest is None or ticket.updated_at.isoformat() > latest):
                    latest = ticket.updated_at.isoformat()
            batch.cursor = latest
            yield batch

    def _changes(self, raw: dict[str, Any]) -> list[TicketChange]:
        key = str(raw["key"])
        embedded = raw.get("changelog") or {}
        histories = list(embedded.get("histories") or [])
        if self.deployment == "cloud" and int(embedded.get("total", len(histories))) > len(histories):
            histories = list(self._all_histories(key))
        return [change for history in histories for change in history_changes(key, history)]

    def _all_histories(self, key: str) -> Iterator[dict[str, Any]]:
        start = 0
        while True:
            body, _ = self.http.get_json(
                f"/rest/api/3/issue/{key}/changelog", {"startAt": start, "maxResults": 100}
            )
            values = body.get("values") if isinstance(body, dict) else None
            if not isinstance(values, list):
                raise PilotError(
                    ErrorCode.UPSTREAM_INVALID_OUTPUT, f"jira: the changelog of {key} has no values"
                )
            yield from values
            start = int(body.get("startAt", start)) + len(values)
            if body.get("isLast", True) or not values:
                return


def _page(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or not isinstance(body.get("issues", []), list):
        raise PilotError(ErrorCode.UPSTREAM_INVALID_OUTPUT, "jira: the search answer is not a page of issues")
    return body


def ticket_state(raw: dict[str, Any], base_url: str) -> Ticket:
    fields = raw["fields"]
    status = fields["status"]
    return Ticket(
        key=str(raw["key"]),
        title=str(fields.get("summary") or ""),
        status=str(status["name"]),
        status_category=(status.get("statusCategory") or {}).get("key"),
        updated_at=parse_time(fields.get("updated")),
        url=browse_url(base_url, str(raw["key"])),
    )


def history_changes(key: str, history: dict[str, Any]) -> list[TicketChange]:
    """The status and Flagged items of one changelog entry (other fields are not kept)."""
    at = required_time(history["created"])
    return [
        TicketChange(
            key=key,
            history_id=str(history["id"]),
            item=position,
            at=at,
            field=str(item["field"]),
            from_string=item.get("fromString"),
            to_string=item.get("toString"),
        )
        for position, item in enumerate(history.get("items") or [])
        if str(item.get("field", "")).lower() in KEPT_FIELDS
    ]
