"""PagerDuty incidents: REST v2 `GET /incidents` (offset pagination, `more`), incremental, with
each incident's notes from `GET /incidents/{id}/notes`.

PagerDuty lists incidents by creation time only (`since`/`until`, at most 6 months apart) and has
no "updated since" filter, yet incidents change after creation (acknowledged, resolved, notes
added). So the cursor is JSON: the newest `created_at` seen, and the ids of incidents to look at
again (still open, or whose notes could not be read). A pull reads what was created since the
cursor (less a week of overlap, in windows of at most 90 days), then re-reads each of those ids
by `GET /incidents/{id}`: a resolution is picked up however old the incident is.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pilot.clock import system_clock
from pilot.connectors.base import PullBatch, failure, register_source
from pilot.connectors.http import HttpClient, Sleep
from pilot.connectors.jira import parse_time, ticket_document
from pilot.domain.documents import Document, DocumentKind
from pilot.domain.errors import ErrorCode, PilotError
from pilot.settings import Settings

PAGE_SIZE = 100
REREAD = timedelta(days=7)  # overlap with the last pull: late edits to recent incidents
WINDOW = timedelta(days=90)  # below the API's 6-month limit on since..until
OPEN = frozenset({"triggered", "acknowledged"})


@dataclass
class PullState:
    created: str | None = None  # newest created_at seen
    recheck: set[str] = field(default_factory=set)  # ids to read again next pull

    @classmethod
    def parse(cls, cursor: str | None) -> PullState:
        """The JSON cursor; a bare timestamp (the older form) is accepted too."""
        if not cursor:
            return cls()
        try:
            data = json.loads(cursor)
        except ValueError:
            return cls(created=cursor)
        if not isinstance(data, dict):
            return cls()
        recheck = data.get("recheck")
        return cls(data.get("created"), {str(i) for i in recheck} if isinstance(recheck, list) else set())

    def dump(self) -> str:
        return json.dumps({"created": self.created, "recheck": sorted(self.recheck)})

    def saw(self, created: datetime | None) -> None:
        before = parse_time(self.created)
        if created is not None and (before is None or created > before):
            self.created = created.isoformat()


@register_source("pagerduty")
def pagerduty_from_settings(settings: Settings) -> PagerDutyConnector:
    if not settings.pagerduty_token:
        raise PilotError(ErrorCode.NOT_CONFIGURED, "PagerDuty needs PILOT_PAGERDUTY_TOKEN")
    return PagerDutyConnector(settings.pagerduty_token.get_secret_value(), api_url=settings.pagerduty_api_url)


class PagerDutyConnector:
    source = "pagerduty"

    def __init__(
        self,
        token: str,
        *,
        api_url: str = "https://api.pagerduty.com",
        sleep: Sleep | None = None,
        now: datetime | Callable[[], datetime] | None = None,
    ) -> None:
        kwargs: dict[str, Any] = {"sleep": sleep} if sleep else {}
        headers = {
            "Authorization": f"Token token={token}",
            "Accept": "application/vnd.pagerduty+json;version=2",
        }
        self.http = HttpClient(
            api_url, source="pagerduty", headers=headers, credentials_hint="PILOT_PAGERDUTY_TOKEN", **kwargs
        )
        self._now = now

    def now(self) -> datetime:
        if self._now is None:
            return system_clock()
        return self._now() if callable(self._now) else self._now

    def pull(self, program_id: str, cursor: str | None) -> Iterator[PullBatch]:
        state = PullState.parse(cursor)
        recheck = set(state.recheck)
        seen: set[str] = set()
        for params in self._windows(state.created):
            offset = 0
            while True:
                page, _ = self.http.get_json("/incidents", {**params, "offset": offset})
                incidents = page.get("incidents") if isinstance(page, dict) else None
                if not isinstance(incidents, list):
                    raise PilotError(
                        ErrorCode.UPSTREAM_INVALID_OUTPUT, "pagerduty: /incidents did not list incidents"
                    )
                yield self._batch(program_id, incidents, state, seen)
                if not page.get("more") or not incidents:
                    break
                offset += len(incidents)
        # Incidents that were open (or half-read) at the last pull and not re-listed above.
        for incident_id in sorted(recheck - seen):
            try:
                body, _ = self.http.get_json(f"/incidents/{incident_id}")
                raw = body["incident"]
            except PilotError as exc:
                if exc.code == ErrorCode.CREDENTIALS:
                    raise
                if exc.code == ErrorCode.NOT_FOUND:
                    state.recheck.discard(incident_id)
                yield PullBatch(
                    failures=[failure("pagerduty", incident_id, exc.message)], cursor=state.dump()
                )
                continue
            except (KeyError, TypeError) as exc:
                failed = failure("pagerduty", incident_id, f"unexpected answer: missing {exc}")
                yield PullBatch(failures=[failed], cursor=state.dump())
                continue
            yield self._batch(program_id, [raw], state, seen)

    def _windows(self, created: str | None) -> Iterator[dict[str, Any]]:
        base: dict[str, Any] = {"limit": PAGE_SIZE, "total": "false", "sort_by": "created_at:asc"}
        if created is None:
            yield {**base, "date_range": "all"}
            return
        now = self.now()
        start = datetime.fromisoformat(created) - REREAD
        while True:
            end = min(start + WINDOW, now)
            yield {**base, "since": start.isoformat(), "until": end.isoformat()}
            if end >= now:
                return
            start = end

    def _batch(self, program_id: str, incidents: list[Any], state: PullState, seen: set[str]) -> PullBatch:
        batch = PullBatch()
        for raw in incidents:
            incident_id = raw.get("id") if isinstance(raw, dict) else None
            if not incident_id:
                batch.failures.append(failure("pagerduty", None, "an incident without an id", raw))
                continue
            seen.add(incident_id)
            notes, warning = self._notes(incident_id)
            try:
                doc = incident_document(raw, program_id, notes)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                reason = f"missing field {exc}" if isinstance(exc, KeyError) else exc
                batch.failures.append(failure("pagerduty", incident_id, reason, raw))
                continue
            if warning:
                doc.warnings.append(warning)
            batch.documents.append(doc)
            if raw.get("status") in OPEN or warning:
                state.recheck.add(incident_id)
            else:
                state.recheck.discard(incident_id)
            state.saw(doc.created_at)
        batch.cursor = state.dump()
        return batch

    def _notes(self, incident_id: str) -> tuple[list[dict[str, Any]], str | None]:
        """An incident whose notes cannot be read is kept without them, and read again next pull."""
        try:
            body, _ = self.http.get_json(f"/incidents/{incident_id}/notes")
        except PilotError as exc:
            if exc.code == ErrorCode.CREDENTIALS:
                raise
            return [], f"notes not read ({exc.message}); they will be read on the next sync"
        notes = body.get("notes", []) if isinstance(body, dict) else []
        return (notes if isinstance(notes, list) else []), None

    def census(self, program_id: str) -> set[str] | None:
        return None  # PagerDuty lists by date window; incidents are never deleted there, only resolved


def incident_document(raw: dict[str, Any], program_id: str, notes: list[dict[str, Any]]) -> Document:
    note_lines = [
        f"- {str(n.get('created_at') or '')[:16]} {reference_name(n.get('user')) or 'someone'}: "
        f"{n.get('content') or ''}"
        for n in notes
        if isinstance(n, dict)
    ]
    assignees = [
        reference_name(a.get("assignee")) for a in raw.get("assignments") or [] if isinstance(a, dict)
    ]
    meta: dict[str, Any] = {
        "status": raw.get("status"),
        "urgency": raw.get("urgency"),
        "priority": (raw.get("priority") or {}).get("summary"),
        "service": (raw.get("service") or {}).get("summary"),
        "incident_number": raw.get("incident_number"),
        "resolved_at": raw.get("resolved_at"),
        "assignee": ", ".join(name for name in assignees if name) or None,
    }
    description = raw.get("description") if raw.get("description") != raw.get("title") else ""
    body = "\n".join(
        filter(None, [description or "", "Notes:\n" + "\n".join(note_lines) if note_lines else ""])
    )
    return ticket_document(
        "pagerduty",
        raw["id"],
        program_id,
        raw["title"],
        body,
        meta,
        url=raw.get("html_url"),
        created=raw.get("created_at"),
        updated=raw.get("updated_at") or raw.get("last_status_change_at"),
        kind=DocumentKind.INCIDENT,
    )


def reference_name(ref: Any) -> str | None:
    """A PagerDuty reference (`{"id", "type": "user_reference", "summary", "html_url"}`) -> who it
    is: the summary (the person's name) when the API included it, else the name or e-mail of a
    full object, else the id. References without `summary` are normal (`?include[]` not asked)."""
    if not isinstance(ref, dict):
        return None
    for key in ("summary", "name", "email", "id"):
        value = ref.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None
