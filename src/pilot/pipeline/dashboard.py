"""A program's week on one screen: the computed status colour and what decided it, open findings
by severity, drafts waiting for review, decisions due, and what changed in the last seven days
(findings opened, resolved or cleared; milestones and dependencies re-forecast; records added by
approving drafts), all as of the program's as-of date.

The week is the seven days before the as-of moment. Audit events (approvals, resolutions) are
counted from its start with no end, so work done today on a frozen program still shows.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

from pydantic import BaseModel

from pilot.domain.drafts import DraftKind, DraftStatus
from pilot.domain.findings import Finding, FindingState, KpiValue, StoredFinding
from pilot.domain.program import DecisionStatus, ForecastChange, ProgramData, ProgramInfo, ref
from pilot.domain.status import Colour
from pilot.pipeline.anomalies import current_scan
from pilot.pipeline.context import Pilot
from pilot.rules.calendar import local_date, zone
from pilot.rules.status import colour_basis
from pilot.store.audit import find_events
from pilot.store.drafts import list_draft_rows
from pilot.store.findings import list_findings
from pilot.store.programs import load_program

WEEK = timedelta(days=7)


class DecisionDue(BaseModel):
    ref: str
    question: str
    needed_by: date
    decider: str | None
    overdue: bool


class Reforecast(BaseModel):
    ref: str
    title: str
    changed_on: date
    before: date
    after: date
    reason: str | None


class ApprovedRecord(BaseModel):
    ref: str | None
    kind: str
    at: datetime
    by: str


class WeekChanges(BaseModel):
    since: date
    opened: list[StoredFinding]
    resolved: list[StoredFinding]
    cleared: list[StoredFinding]
    reforecasts: list[Reforecast]
    approved: list[ApprovedRecord]


class ProgramDashboard(BaseModel):
    program: ProgramInfo
    as_of: date
    colour: Colour
    colour_findings: list[Finding]
    colour_kpis: list[KpiValue]
    open_findings: dict[str, int]  # unresolved, active, by severity
    unreviewed: int  # of those, still open (nobody acknowledged or snoozed them)
    last_scan: date | None  # the program's local date of its latest stored scan
    drafts_waiting: dict[str, int]  # pending drafts by kind
    status_pending: list[tuple[str, str]]  # (draft id, audience) of pending status updates
    last_status_approved: date | None
    decisions_due: list[DecisionDue]  # pending, needed by `decisions_until` or already overdue
    decisions_until: date
    week: WeekChanges


def program_dashboard(pilot: Pilot, program_id: str) -> ProgramDashboard:
    scan, moment = current_scan(pilot, program_id)
    colour, deciding, breaches = colour_basis(scan.findings, scan.kpis)
    start = moment - WEEK
    with pilot.db.reading() as session:
        data = load_program(session, program_id)
        stored = list_findings(session, program_id, include_inactive=True)
        drafts = list_draft_rows(session, program_id, status=None, limit=5000)
        approvals = find_events(session, program_id=program_id, actions=["draft.approve"], since=start)
    tz = zone(data.program.timezone)
    today = local_date(moment, tz)
    pending = [d for d in drafts if d.status == DraftStatus.PENDING.value]
    status_rows = [d for d in drafts if d.kind == DraftKind.STATUS_UPDATE.value]
    approved_status = [
        d.decided_at for d in status_rows if d.status == DraftStatus.APPROVED.value and d.decided_at
    ]
    active = [f for f in stored if f.active and f.state != FindingState.RESOLVED]
    return ProgramDashboard(
        program=data.program,
        as_of=today,
        colour=colour,
        colour_findings=deciding,
        colour_kpis=breaches,
        open_findings={
            s: sum(f.finding.severity.value == s for f in active) for s in ("error", "warning", "info")
        },
        unreviewed=sum(f.state == FindingState.OPEN for f in active),
        last_scan=local_date(max(f.last_seen_at for f in stored), tz) if stored else None,
        drafts_waiting=dict(Counter(d.kind for d in pending).most_common()),
        status_pending=[(d.id, str(d.payload.get("audience", ""))) for d in pending if d in status_rows],
        last_status_approved=local_date(max(approved_status), tz) if approved_status else None,
        decisions_due=decisions_due(data, today),
        decisions_until=today + WEEK,
        week=WeekChanges(
            since=local_date(start, tz),
            opened=[f for f in stored if f.first_seen_at > start and f.active],
            resolved=[
                f for f in stored if f.state == FindingState.RESOLVED and f.state_at and f.state_at > start
            ],
            cleared=[f for f in stored if not f.active and f.last_seen_at >= start],
            reforecasts=reforecasts(data, local_date(start, tz), today),
            approved=[
                ApprovedRecord(
                    ref=(e.after or {}).get("record"),
                    kind=_kind((e.after or {}).get("record")),
                    at=e.at,
                    by=e.actor,
                )
                for e in approvals
            ],
        ),
    )


def _kind(record: object) -> str:
    return str(record).partition(":")[0] if record else "draft"


def decisions_due(data: ProgramData, today: date) -> list[DecisionDue]:
    """Pending decisions needed by a date in the coming week or already past, soonest first."""
    names = {p.id: p.name for p in data.people}
    due = [
        DecisionDue(
            ref=ref("decision", d.id),
            question=d.question,
            needed_by=d.needed_by,
            decider=names.get(d.decider or "", d.decider),
            overdue=d.needed_by < today,
        )
        for d in data.decisions
        if d.status == DecisionStatus.PENDING and d.needed_by is not None and d.needed_by <= today + WEEK
    ]
    return sorted(due, key=lambda d: d.needed_by)


def reforecasts(data: ProgramData, since: date, today: date) -> list[Reforecast]:
    """Forecast changes of milestones and dependencies dated in (since, today], newest first."""
    out: list[Reforecast] = []
    records: list[tuple[str, str, date, list[ForecastChange]]] = [
        (ref("milestone", m.id), m.name, m.target_date, m.forecast_history) for m in data.milestones
    ] + [(ref("dependency", d.id), d.deliverable, d.due_date, d.forecast_history) for d in data.dependencies]
    for record_ref, title, planned, history in records:
        previous = planned
        for change in sorted(history, key=lambda c: c.changed_on):
            if since < change.changed_on <= today:
                out.append(
                    Reforecast(
                        ref=record_ref,
                        title=title,
                        changed_on=change.changed_on,
                        before=previous,
                        after=change.forecast,
                        reason=change.reason,
                    )
                )
            previous = change.forecast
    return sorted(out, key=lambda r: (r.changed_on, r.ref), reverse=True)
