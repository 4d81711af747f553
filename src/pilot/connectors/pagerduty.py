"""PagerDuty incidents: REST v2 `GET /incidents` (offset pagination, `more`), incremental by a
`since` window that overlaps the last pull so resolutions of recent incidents are picked up,
with each incident's notes from `GET /incidents/{id}/notes`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from pilot.connectors.base import PullBatch, failure, register_source
from pilot.connectors.http import HttpClient, Sleep
from pilot.connectors.jira import ticket_document
from pilot.domain.documents import Document, DocumentKind
from pilot.domain.errors import ErrorCode, PilotError
from pilot.settings import Settings

PAGE_SIZE = 100
# Incidents change after creation (acknowledged, resolved); re-read the last week on each pull.
REREAD = timedelta(days=7)


@register_source("pagerduty")
def pagerduty_from_settings(settings: Settings) -> PagerDutyConnector:
    if not settings.pagerduty_token:
        raise PilotError(ErrorCode.NOT_CONFIGURED, "PagerDuty needs PILOT_PAGERDUTY_TOKEN")
    return PagerDutyConnector(settings.pagerduty_token.get_secret_value(), api_url=settings.pagerduty_api_url)


class PagerDutyConnector:
    source = "pagerduty"

    def __init__(self, token: str, *, api_url: str = "https://api.pagerduty.com", sleep: Sleep | None = None,
                 now: datetime | None = None) -> None:  # fmt: skip
        kwargs: dict[str, Any] = {"sleep": sleep} if sleep else {}
        headers = {
            "Authorization": f"Token token={token}",
            "Accept": "application/vnd.pagerduty+json;version=2",
        }
        self.http = HttpClient(
            api_url, source="pagerduty", headers=headers, credentials_hint="PILOT_PAGERDUTY_TOKEN", **kwargs
        )
        self.now = now

    def pull(self, program_id: str, cursor: str | None) -> Iterator[PullBatch]:
        params: dict[str, Any] = {"limit": PAGE_SIZE, "total": "false", "sort_by": "created_at:asc"}
        if cursor:
            params["since"] = (datetime.fromisoformat(cursor) - REREAD).isoformat()
            if self.now:
                params["until"] = self.now.isoformat()
        else:
            params["date_range"] = "all"
        latest = cursor
        offset = 0
        while True:
            page, _ = self.http.get_json("/incidents", {**params, "offset": offset})
            batch = PullBatch()
            incidents = page.get("incidents", [])
            for raw in incidents:
                try:
                    notes = self._notes(raw["id"])
                    doc = incident_document(raw, program_id, notes)
                except (KeyError, TypeError, ValueError, PilotError) as exc:
                    batch.failures.append(
                        failure("pagerduty", raw.get("id") if isinstance(raw, dict) else None, exc, raw)
                    )
                    continue
                batch.documents.append(doc)
                stamp = doc.created_at.isoformat() if doc.created_at else None
                if stamp and (latest is None or stamp > latest):
                    latest = stamp
            batch.cursor = latest
            yield batch
            if not page.get("more") or not incidents:
                return
            offset += len(incidents)

    def _notes(self, incident_id: str) -> list[dict[str, Any]]:
        body, _ = self.http.get_json(f"/incidents/{incident_id}/notes")
        notes = body.get("notes", [])
        return notes if isinstance(notes, list) else []

    def census(self, program_id: str) -> set[str] | None:
        return None  # PagerDuty lists by date window; incidents are never deleted there, only resolved


def incident_document(raw: dict[str, Any], program_id: str, notes: list[dict[str, Any]]) -> Document:
    note_lines = [f"- {n.get('created_at', '')[:16]} {(n.get('user') or {}).get('summary', '')}: {n.get('content', '')}"
                  for n in notes]  # fmt: skip
    meta: dict[str, Any] = {
        "status": raw.get("status"),
        "urgency": raw.get("urgency"),
        "priority": (raw.get("priority") or {}).get("summary"),
        "service": (raw.get("service") or {}).get("summary"),
        "incident_number": raw.get("incident_number"),
        "resolved_at": raw.get("resolved_at"),
        "assignee": ", ".join(
            (a.get("assignee") or {}).get("summary", "") for a in raw.get("assignments") or []
        )
        or None,
    }
    description = raw.get("description") if raw.get("description") != raw.get("title") else ""
    body = "\n".join(
        filter(None, [description or "", "Notes:\n" + "\n".join(note_lines) if note_lines else ""])
    )
    return ticket_document("pagerduty", raw["id"], program_id, raw["title"], body, meta, url=raw.get("html_url"),
                           created=raw.get("created_at"), updated=raw.get("updated_at") or raw.get("last_status_change_at"),
                           kind=DocumentKind.INCIDENT)  # fmt: skip
