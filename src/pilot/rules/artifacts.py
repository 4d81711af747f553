"""The sheet an artifact is written from, computed from the program's records. Pure.

- charter: the program's purpose, teams and leads, every milestone, the dependencies between
  teams, the top open risks and issues, decisions taken and pending, and approved scope changes;
- readiness: one release (a milestone with readiness items): its checklist, and the go/no-go
  criteria from the data (acceptance criteria, checklist complete, dependencies delivered,
  decisions made, no open high-exposure risk, no Sev1/Sev2 incident attributed) with a verdict;
- cutover: the release's timeline (critical-path milestones from two weeks before the gate to
  the cutover), the open work before it, and a rollback section from the records that speak of
  rollback (decisions, risks, readiness items, action items, dependencies, acceptance criteria);
- raid: every RAID item by kind.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from pilot.domain.artifacts import ArtifactKind, ArtifactSheet, ItemFact
from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.program import (
    ActionItem,
    ActionStatus,
    ChangeRequest,
    Decision,
    DecisionStatus,
    Dependency,
    DependencyStatus,
    Incident,
    Milestone,
    MilestoneStatus,
    ProgramData,
    RaidItem,
    RaidKind,
    ReadinessItem,
)
from pilot.rules.calendar import local_date, zone
from pilot.rules.thresholds import thresholds_for

ROLLBACK = re.compile(r"\b(roll ?back|rollbacks|rolled back)\b", re.I)
HIGH_EXPOSURE = 15  # probability x impact on 5-point scales: "likely and severe"
TOP_RISKS = 5


class _Facts:
    """Turns records into `ItemFact`s, remembering the people they name."""

    def __init__(self, data: ProgramData, now: datetime) -> None:
        self.data = data
        self.tz = zone(data.program.timezone)
        self.today = local_date(now, self.tz)
        self.names = {p.id: p.name for p in data.people}
        self.teams = {t.id: t.name for t in data.teams}
        self.named: dict[str, str] = {}

    def person(self, person_id: str | None) -> str | None:
        if person_id is None:
            return None
        self.named[person_id] = self.names.get(person_id, person_id)
        return self.named[person_id]

    def day(self, moment: datetime | None) -> date | None:
        return None if moment is None else local_date(moment, self.tz)

    def milestone(self, m: Milestone) -> ItemFact:
        dates = {"target": m.target_date, "forecast": m.current_forecast}
        if m.completed_on:
            dates["done"] = m.completed_on
        flags = ["critical path"] if m.critical_path else []
        if (
            m.status not in (MilestoneStatus.DONE, MilestoneStatus.CANCELLED)
            and m.current_forecast < self.today
        ):
            flags.append("overdue")
        return ItemFact(
            id=m.id,
            kind="milestone",
            title=m.name,
            status=m.status.value,
            owner=self.person(m.owner),
            dates=dates,
            numbers={"slip_days": float((m.current_forecast - m.target_date).days)},
            flags=flags,
        )

    def items(self, kind: str) -> list[ItemFact]:
        builders: dict[str, Callable[[Any], ItemFact]] = {
            "dependency": self._dependency,
            "raid": self._raid,
            "decision": self._decision,
            "action": self._action,
            "readiness": self._readiness,
            "change": self._change,
            "incident": self._incident,
        }
        found = [builders[kind](record) for record in getattr(self.data, _COLLECTION[kind])]
        for fact in found:
            if ROLLBACK.search(f"{fact.title} {fact.detail or ''}"):
                fact.flags.append("rollback")
        return found

    def _dependency(self, d: Dependency) -> ItemFact:
        dates = {"due": d.due_date, **({"done": d.delivered_on} if d.delivered_on else {})}
        detail = f"{self.teams.get(d.provider_team, d.provider_team)} for {self.teams.get(d.consumer_team, d.consumer_team)}"
        return ItemFact(
            id=d.id,
            kind="dependency",
            title=d.deliverable,
            status=d.status.value,
            owner=self.person(d.owner),
            dates=dates,
            detail=detail,
        )

    def _raid(self, r: RaidItem) -> ItemFact:
        numbers = {
            k: float(v) for k, v in (("probability", r.probability), ("impact", r.impact)) if v is not None
        }
        if r.probability and r.impact:
            numbers["exposure"] = float(r.exposure)
        opened = self.day(r.opened_at)
        dates = {"opened": opened} if opened else {}
        return ItemFact(
            id=r.id,
            kind=f"raid {r.kind.value}",
            title=r.title,
            status=r.status.value,
            owner=self.person(r.owner),
            dates=dates,
            numbers=numbers,
            detail=r.mitigation,
        )

    def _decision(self, d: Decision) -> ItemFact:
        dates: dict[str, date] = {"opened": local_date(d.requested_at, self.tz)}
        if d.needed_by:
            dates["needed_by"] = d.needed_by
        if d.decided_at:
            dates["done"] = local_date(d.decided_at, self.tz)
        return ItemFact(
            id=d.id,
            kind="decision",
            title=d.question,
            status=d.status.value,
            owner=self.person(d.decider),
            dates=dates,
            detail=d.outcome or d.recommendation,
        )

    def _action(self, a: ActionItem) -> ItemFact:
        dates = {"due": a.due} if a.due else {}
        return ItemFact(
            id=a.id,
            kind="action",
            title=a.task,
            status=a.status.value,
            owner=self.person(a.owner),
            dates=dates,
        )

    def _readiness(self, r: ReadinessItem) -> ItemFact:
        dates = {"gate": r.gate_date, **({"done": r.done_on} if r.done_on else {})}
        return ItemFact(
            id=r.id,
            kind="readiness",
            title=r.item,
            status="done" if r.done else "open",
            owner=self.person(r.owner),
            dates=dates,
        )

    def _change(self, c: ChangeRequest) -> ItemFact:
        status = {True: "approved", False: "rejected", None: "pending"}[c.approved]
        numbers = {"impact_days": float(c.impact_days)} if c.impact_days is not None else {}
        return ItemFact(
            id=c.id,
            kind="change",
            title=c.title,
            status=status,
            dates={"opened": local_date(c.requested_at, self.tz)},
            numbers=numbers,
        )

    def _incident(self, i: Incident) -> ItemFact:
        return ItemFact(
            id=i.id,
            kind="incident",
            title=i.title,
            status="resolved" if i.resolved_at else "open",
            dates={"opened": local_date(i.started_at, self.tz)},
            numbers={"severity": float(i.severity)},
        )


_COLLECTION = {
    "dependency": "dependencies",
    "raid": "raid",
    "decision": "decisions",
    "action": "action_items",
    "readiness": "readiness",
    "change": "change_requests",
    "incident": "incidents",
}


def build_artifact_sheet(
    data: ProgramData, now: datetime, kind: ArtifactKind, *, release: str | None = None
) -> ArtifactSheet:
    facts = _Facts(data, now)
    sheet = ArtifactSheet(
        kind=kind,
        program_id=data.program.id,
        program_name=data.program.name,
        tier=int(data.program.tier),
        as_of=facts.today,
        start_date=data.program.start_date,
        description=data.program.description,
        teams=facts.teams,
    )
    if kind == "charter":
        _charter(sheet, facts)
    elif kind == "raid":
        _raid_log(sheet, facts)
    else:
        milestone = _release(data, facts.today, release)
        sheet.release = facts.milestone(milestone)
        sheet.criteria = list(milestone.acceptance_criteria)
        (_readiness if kind == "readiness" else _cutover)(sheet, facts, milestone)
    sheet.people = dict(sorted(facts.named.items()))
    return sheet


def _release(data: ProgramData, today: date, wanted: str | None) -> Milestone:
    by_id = {m.id: m for m in data.milestones}
    if wanted:
        if wanted not in by_id:
            raise PilotError(ErrorCode.NOT_FOUND, f"no milestone {wanted!r} in program {data.program.id!r}")
        return by_id[wanted]
    gates = sorted((r.gate_date, r.release) for r in data.readiness if not r.done and r.release in by_id)
    upcoming = [release for gate, release in gates if gate >= today] or [release for _, release in gates]
    if not upcoming:
        raise PilotError(
            ErrorCode.INVALID_INPUT, "no release has open readiness items: name one with --release"
        )
    return by_id[upcoming[0]]


def _open(item: ItemFact) -> bool:
    return item.status not in (
        "done",
        "delivered",
        "cancelled",
        "closed",
        "decided",
        "withdrawn",
        "accepted",
        "approved",
        "rejected",
        "resolved",
    )


def _charter(sheet: ArtifactSheet, facts: _Facts) -> None:
    data = facts.data
    sheet.sections["teams"] = [
        ItemFact(id=t.id, kind="team", title=t.name, owner=facts.person(t.lead)) for t in data.teams
    ]
    milestones = [facts.milestone(m) for m in sorted(data.milestones, key=lambda m: (m.target_date, m.id))]
    sheet.sections["milestones"] = milestones
    sheet.sections["dependencies"] = [
        d for d in facts.items("dependency") if d.status != DependencyStatus.CANCELLED
    ]
    risks = [r for r in facts.items("raid") if r.kind in ("raid R", "raid I") and _open(r)]
    sheet.sections["risks"] = sorted(risks, key=lambda r: (-r.numbers.get("exposure", 0), r.id))[:TOP_RISKS]
    decisions = facts.items("decision")
    sheet.sections["decisions_taken"] = [d for d in decisions if d.status == DecisionStatus.DECIDED]
    sheet.sections["decisions_pending"] = [d for d in decisions if d.status == DecisionStatus.PENDING]
    approved = [c for c in facts.items("change") if c.status == "approved"]
    sheet.sections["changes"] = approved
    sheet.summary = {
        "milestones": len(milestones),
        "milestones_done": sum(m.status == "done" for m in milestones),
        "dependencies": len(sheet.sections["dependencies"]),
        "open_risks": len(risks),
        "decisions_pending": len(sheet.sections["decisions_pending"]),
        "changes_approved": len(approved),
        "change_days": sum(c.numbers.get("impact_days", 0) for c in approved),
        "teams": len(data.teams),
        "people": len(data.people),
    }


def _gate(data: ProgramData, milestone: Milestone) -> date:
    gates = [r.gate_date for r in data.readiness if r.release == milestone.id]
    return min(gates) if gates else milestone.target_date


def _on_release(items: list[ItemFact], data: ProgramData, milestone: Milestone, kind: str) -> list[ItemFact]:
    linked = {r.id for r in getattr(data, _COLLECTION[kind]) if getattr(r, "milestone", None) == milestone.id}
    return [i for i in items if i.id in linked]


def _readiness(sheet: ArtifactSheet, facts: _Facts, milestone: Milestone) -> None:
    data = facts.data
    limits, _ = thresholds_for(data.program)
    checklist = [
        r
        for r in facts.items("readiness")
        if r.id in {x.id for x in data.readiness if x.release == milestone.id}
    ]
    deps = [d for d in _on_release(facts.items("dependency"), data, milestone, "dependency") if _open(d)]
    pending = [
        d for d in _on_release(facts.items("decision"), data, milestone, "decision") if d.status == "pending"
    ]
    risks = [
        r
        for r in _on_release(facts.items("raid"), data, milestone, "raid")
        if _open(r) and r.numbers.get("exposure", 0) >= HIGH_EXPOSURE
    ]
    incidents = [
        i
        for i in facts.items("incident")
        if i.id in {x.id for x in data.incidents if x.release == milestone.id} and i.numbers["severity"] <= 2
    ]
    sheet.sections.update(
        checklist=checklist, dependencies=deps, decisions=pending, risks=risks, incidents=incidents
    )
    done = sum(r.status == "done" for r in checklist)
    gate = _gate(data, milestone)
    sheet.summary = {
        "total_items": len(checklist),
        "done": done,
        "open": len(checklist) - done,
        "done_pct": round(100 * done / len(checklist)) if checklist else 0,
        "target_pct": round(100 * limits.readiness_target),
        "days_to_gate": (gate - facts.today).days,
        "high_exposure": HIGH_EXPOSURE,
    }
    assert sheet.release is not None
    sheet.release.dates["gate"] = gate
    reasons = []
    if done < len(checklist):
        reasons.append(f"{len(checklist) - done} of {len(checklist)} readiness items are not done")
    if deps:
        reasons.append(f"{len(deps)} dependencies for this release are not delivered")
    if pending:
        reasons.append(f"{len(pending)} decisions on this release are pending")
    if risks:
        reasons.append(f"{len(risks)} open risks on this release have an exposure of {HIGH_EXPOSURE} or more")
    if incidents:
        reasons.append(f"{len(incidents)} Sev1 or Sev2 incidents are attributed to this release")
    sheet.verdict, sheet.reasons = ("NO-GO" if reasons else "GO"), reasons


def _cutover(sheet: ArtifactSheet, facts: _Facts, milestone: Milestone) -> None:
    data = facts.data
    gate = _gate(data, milestone)
    assert sheet.release is not None
    sheet.release.dates["gate"] = gate
    start, end = gate - timedelta(days=14), milestone.current_forecast
    timeline = [
        facts.milestone(m)
        for m in sorted(data.milestones, key=lambda m: (m.current_forecast, m.id))
        if m.id != milestone.id
        and m.critical_path
        and m.status != MilestoneStatus.CANCELLED
        and start <= m.current_forecast <= end
    ]
    sheet.sections["timeline"] = timeline
    deps = [d for d in _on_release(facts.items("dependency"), data, milestone, "dependency") if _open(d)]
    actions = [
        a
        for a in _on_release(facts.items("action"), data, milestone, "action")
        if a.status == ActionStatus.OPEN
    ]
    readiness = [
        r
        for r in facts.items("readiness")
        if r.id in {x.id for x in data.readiness if x.release == milestone.id}
    ]
    sheet.sections.update(dependencies=deps, actions=actions)
    rollback = [
        item
        for kind in ("decision", "raid", "readiness", "action", "dependency")
        for item in (readiness if kind == "readiness" else facts.items(kind))
        if "rollback" in item.flags
        and (kind != "raid" or _open(item))
        and (item.status != "withdrawn")
        and _linked(data, kind, item.id, milestone.id)
    ]
    sheet.sections["rollback"] = rollback
    sheet.criteria = [c for c in milestone.acceptance_criteria if ROLLBACK.search(c)]
    sheet.summary = {
        "open_readiness": sum(r.status != "done" for r in readiness),
        "readiness": len(readiness),
        "days_to_gate": (gate - facts.today).days,
        "rollback_records": len(rollback),
    }


def _linked(data: ProgramData, kind: str, record_id: str, release: str) -> bool:
    """Records of this release, or of no milestone (program-wide rollback rules count too)."""
    for record in getattr(data, _COLLECTION[kind]):
        if record.id == record_id:
            linked = (
                getattr(record, "release", None)
                if kind == "readiness"
                else getattr(record, "milestone", None)
            )
            return linked in (release, None)
    return False


def _raid_log(sheet: ArtifactSheet, facts: _Facts) -> None:
    items = facts.items("raid")
    for kind in RaidKind:
        sheet.sections[f"raid_{kind.value}"] = [i for i in items if i.kind == f"raid {kind.value}"]
    sheet.summary = {
        "total": len(items),
        "open": sum(_open(i) for i in items),
        **{f"open_{k.value}": sum(_open(i) for i in sheet.sections[f"raid_{k.value}"]) for k in RaidKind},
        **{f"all_{k.value}": len(sheet.sections[f"raid_{k.value}"]) for k in RaidKind},
        "unowned": sum(_open(i) and i.owner is None for i in items),
    }
