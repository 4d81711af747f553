"""One uniform view of every program record for questions: its reference, title, owner, whether it
is open or done, its own date (due, needed-by, forecast, gate), when it was opened and finished,
and what it links to. The definitions a program manager uses live here, once:

- open: RAID open or mitigating; decision pending; dependency not delivered or cancelled;
  milestone not done or cancelled; action item open; readiness item not done; corrective action
  without done_on; incident not resolved; change request not yet approved or rejected.
- its own date: action due, decision needed_by, milestone forecast (else target), dependency
  due_date, readiness gate_date, corrective action due.
- progress: RAID last_progress_at, else opened_at.

Pure: timestamps become dates in the program's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from pilot.domain.program import (
    ActionStatus,
    DecisionStatus,
    DependencyStatus,
    MilestoneStatus,
    ProgramData,
    RaidKind,
)
from pilot.rules.calendar import local_date, zone

# The commitments that have a date of their own (what "late" and "due" range over).
COMMITMENTS = ("action", "decision", "milestone", "dependency", "readiness", "corrective")
RAID_KINDS = {
    RaidKind.RISK: "risk",
    RaidKind.ISSUE: "issue",
    RaidKind.ASSUMPTION: "assumption",
    RaidKind.DEPENDENCY: "raid-dependency",
}
NOUNS = {
    "risk": ("risk", "risks"),
    "issue": ("issue", "issues"),
    "assumption": ("assumption", "assumptions"),
    "raid-dependency": ("RAID dependency", "RAID dependencies"),
    "decision": ("decision", "decisions"),
    "milestone": ("milestone", "milestones"),
    "dependency": ("dependency", "dependencies"),
    "action": ("action item", "action items"),
    "readiness": ("readiness item", "readiness items"),
    "corrective": ("corrective action", "corrective actions"),
    "incident": ("incident", "incidents"),
    "change": ("change request", "change requests"),
}


@dataclass(frozen=True)
class Slip:
    """A re-forecast that moved a milestone later: on `changed_on`, from `before` to `after`."""

    changed_on: date
    before: date
    after: date


@dataclass
class RecordView:
    ref: str
    kind: str  # risk, issue, assumption, raid-dependency, decision, milestone, dependency, action, ...
    id: str
    title: str
    status: str
    is_open: bool
    is_done: bool
    owner: str | None = None
    due: date | None = None  # its own date
    due_label: str = "due"
    created: date | None = None
    completed: date | None = None
    progress: date | None = None
    milestone: str | None = None
    secondary: str = ""  # description, options, criteria: matched after the title
    provider_team: str | None = None
    team: str | None = None  # a milestone's team
    consumer_team: str | None = None
    target: date | None = None
    critical: bool = False
    severity: int | None = None
    slips: list[Slip] = field(default_factory=list)

    @property
    def slipped(self) -> bool:
        return self.is_open and self.target is not None and self.due is not None and self.due > self.target


def record_views(data: ProgramData) -> list[RecordView]:
    tz = zone(data.program.timezone)
    views = [_raid_view(r, tz) for r in data.raid]
    views += [_decision_view(d, tz) for d in data.decisions]
    views += [_milestone_view(m) for m in data.milestones]
    for dep in data.dependencies:
        views.append(
            RecordView(
                ref=f"dependency:{dep.id}",
                kind="dependency",
                id=dep.id,
                title=dep.deliverable,
                status=dep.status.value,
                is_open=dep.status not in (DependencyStatus.DELIVERED, DependencyStatus.CANCELLED),
                is_done=dep.status == DependencyStatus.DELIVERED,
                owner=dep.owner,
                due=dep.due_date,
                completed=dep.delivered_on,
                milestone=dep.milestone,
                secondary=" ".join(dep.acceptance_criteria),
                provider_team=dep.provider_team,
                consumer_team=dep.consumer_team,
            )
        )
    for action in data.action_items:
        views.append(
            RecordView(
                ref=f"action:{action.id}",
                kind="action",
                id=action.id,
                title=action.task,
                status=action.status.value,
                is_open=action.status == ActionStatus.OPEN,
                is_done=action.status == ActionStatus.DONE,
                owner=action.owner,
                due=action.due,
                created=_day(action.created_at, tz),
                completed=_day(action.completed_at, tz),
                milestone=action.milestone,
            )
        )
    for item in data.readiness:
        views.append(
            RecordView(
                ref=f"readiness:{item.id}",
                kind="readiness",
                id=item.id,
                title=item.item,
                status="done" if item.done else "not done",
                is_open=not item.done,
                is_done=item.done,
                owner=item.owner,
                due=item.gate_date,
                due_label="gate",
                completed=item.done_on,
                milestone=item.release,
            )
        )
    for ca in data.corrective_actions:
        views.append(
            RecordView(
                ref=f"corrective:{ca.id}",
                kind="corrective",
                id=ca.id,
                title=ca.title,
                status="done" if ca.done_on else "open",
                is_open=ca.done_on is None,
                is_done=ca.done_on is not None,
                owner=ca.owner,
                due=ca.due,
                completed=ca.done_on,
            )
        )
    for inc in data.incidents:
        views.append(
            RecordView(
                ref=f"incident:{inc.id}",
                kind="incident",
                id=inc.id,
                title=inc.title,
                status="resolved" if inc.resolved_at else "open",
                is_open=inc.resolved_at is None,
                is_done=inc.resolved_at is not None,
                created=_day(inc.started_at, tz),
                completed=_day(inc.resolved_at, tz),
                milestone=inc.release,
                severity=inc.severity,
                secondary=inc.service or "",
            )
        )
    for cr in data.change_requests:
        views.append(
            RecordView(
                ref=f"change:{cr.id}",
                kind="change",
                id=cr.id,
                title=cr.title,
                status={None: "pending", True: "approved", False: "rejected"}[cr.approved],
                is_open=cr.approved is None,
                is_done=cr.approved is not None,
                created=_day(cr.requested_at, tz),
                completed=_day(cr.decided_at, tz),
                milestone=cr.milestone,
                secondary=cr.description,
            )
        )
    return views


def _day(moment: datetime | None, tz: ZoneInfo) -> date | None:
    return local_date(moment, tz) if moment is not None else None


def _raid_view(r: object, tz: ZoneInfo) -> RecordView:
    from pilot.domain.program import RaidItem

    assert isinstance(r, RaidItem)
    opened = local_date(r.opened_at, tz)
    return RecordView(
        ref=f"raid:{r.id}",
        kind=RAID_KINDS[r.kind],
        id=r.id,
        title=r.title,
        status=r.status.value,
        is_open=r.is_open,
        is_done=r.status.value == "closed",
        owner=r.owner,
        created=opened,
        completed=_day(r.closed_at, tz),
        progress=_day(r.last_progress_at, tz) or opened,
        milestone=r.milestone,
        secondary=" ".join(x for x in (r.description, r.mitigation or "") if x),
    )


def _decision_view(d: object, tz: ZoneInfo) -> RecordView:
    from pilot.domain.program import Decision

    assert isinstance(d, Decision)
    return RecordView(
        ref=f"decision:{d.id}",
        kind="decision",
        id=d.id,
        title=d.question,
        status=d.status.value,
        is_open=d.status == DecisionStatus.PENDING,
        is_done=d.status == DecisionStatus.DECIDED,
        owner=d.decider,
        due=d.needed_by,
        due_label="needed by",
        created=_day(d.requested_at, tz),
        completed=_day(d.decided_at, tz),
        milestone=d.milestone,
        secondary=" ".join([*d.options, d.recommendation or "", d.outcome or "", d.rationale or ""]),
    )


def _milestone_view(m: object) -> RecordView:
    from pilot.domain.program import Milestone

    assert isinstance(m, Milestone)
    slips: list[Slip] = []
    standing = m.target_date
    for change in sorted(m.forecast_history, key=lambda c: c.changed_on):
        if change.forecast > standing:
            slips.append(Slip(change.changed_on, standing, change.forecast))
        standing = change.forecast
    return RecordView(
        ref=f"milestone:{m.id}",
        kind="milestone",
        id=m.id,
        title=m.name,
        status=m.status.value,
        is_open=m.status not in (MilestoneStatus.DONE, MilestoneStatus.CANCELLED),
        is_done=m.status == MilestoneStatus.DONE,
        owner=m.owner,
        due=m.current_forecast,
        due_label="forecast",
        completed=m.completed_on,
        team=m.team,
        secondary=" ".join(m.acceptance_criteria),
        target=m.target_date,
        critical=m.critical_path,
        slips=slips,
    )
