"""What each person owes and is owed, from the program's data of record. Pure: `now` is passed in.

Owes: every open record the person owns (action items, RAID items, dependencies, milestones,
readiness items, corrective actions) and every pending decision they are the decider of.

Owed: the data of record has no "requested by" on action items or decisions, so pilot does not
guess who asked for what. It uses the two links it does have, and says which on each item:
- dependencies whose consumer team is the person's team (their team waits on the provider);
- open work others own on a milestone the person owns: action items, pending decisions,
  undelivered dependencies and readiness items not done (the milestone owner waits on them).
Items the person owns themselves are never "owed" to them; unowned items are listed as such.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime

from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.owe import OweItem, OweKind, OweReport, PersonLoad
from pilot.domain.program import (
    ActionStatus,
    DecisionStatus,
    DependencyStatus,
    MilestoneStatus,
    Person,
    ProgramData,
)
from pilot.rules.calendar import local_date, zone
from pilot.rules.people import PeopleDirectory

_DONE_DEPENDENCY = (DependencyStatus.DELIVERED, DependencyStatus.CANCELLED)
_DONE_MILESTONE = (MilestoneStatus.DONE, MilestoneStatus.CANCELLED)


def find_person(data: ProgramData, text: str) -> Person:
    """A person by id, full name, alias, e-mail or first name; ambiguous or unknown is an error."""
    directory = PeopleDirectory(data.people)
    if text in directory.by_id:
        return directory.by_id[text]
    found = directory.match(text)
    if len(found) == 1:
        return found[0]
    if found:
        names = ", ".join(f"{p.name} ({p.id})" for p in sorted(found, key=lambda p: p.id))
        raise PilotError(ErrorCode.INVALID_INPUT, f"{text!r} could be {names}: give the id or e-mail")
    raise PilotError(ErrorCode.NOT_FOUND, f"nobody called {text!r} in program {data.program.id!r}")


def _item(
    kind: OweKind,
    record_id: str,
    title: str,
    status: str,
    owner: str | None,
    today: date,
    *,
    due: date | None = None,
    due_label: str = "due",
    opened: date | None = None,
    milestone: str | None = None,
) -> OweItem:
    return OweItem(
        kind=kind,
        ref=f"{kind.value}:{record_id}",
        record_id=record_id,
        title=title,
        status=status,
        owner=owner,
        due=due,
        due_label=due_label,
        opened=opened,
        age_days=(today - opened).days if opened else None,
        days_left=(due - today).days if due else None,
        milestone=milestone,
    )


def open_items(data: ProgramData, now: datetime) -> list[OweItem]:
    """Every open record that someone owes (or nobody yet), with its due date and age."""
    tz = zone(data.program.timezone)
    today = local_date(now, tz)
    items = list(_open_items(data, today, lambda moment: local_date(moment, tz)))
    names = {p.id: p.name for p in data.people}
    return [i.model_copy(update={"owner_name": names.get(i.owner or "", i.owner)}) for i in items]


def _open_items(data: ProgramData, today: date, local: Callable[[datetime], date]) -> Iterator[OweItem]:
    for a in data.action_items:
        if a.status == ActionStatus.OPEN:
            yield _item(
                OweKind.ACTION,
                a.id,
                a.task,
                a.status.value,
                a.owner,
                today,
                due=a.due,
                opened=local(a.created_at),
                milestone=a.milestone,
            )
    for d in data.decisions:
        if d.status == DecisionStatus.PENDING:
            yield _item(
                OweKind.DECISION,
                d.id,
                d.question,
                d.status.value,
                d.decider,
                today,
                due=d.needed_by,
                due_label="needed by",
                opened=local(d.requested_at),
                milestone=d.milestone,
            )
    for r in data.raid:
        if r.is_open:
            yield _item(
                OweKind.RAID,
                r.id,
                r.title,
                r.status.value,
                r.owner,
                today,
                opened=local(r.opened_at),
                milestone=r.milestone,
            )
    for dep in data.dependencies:
        if dep.status not in _DONE_DEPENDENCY:
            yield _item(
                OweKind.DEPENDENCY,
                dep.id,
                dep.deliverable,
                dep.status.value,
                dep.owner,
                today,
                due=dep.due_date,
                milestone=dep.milestone,
            )
    for m in data.milestones:
        if m.status not in _DONE_MILESTONE:
            yield _item(
                OweKind.MILESTONE,
                m.id,
                m.name,
                m.status.value,
                m.owner,
                today,
                due=m.current_forecast,
                due_label="forecast",
                milestone=m.id,
            )
    for item in data.readiness:
        if not item.done:
            yield _item(
                OweKind.READINESS,
                item.id,
                item.item,
                "not done",
                item.owner,
                today,
                due=item.gate_date,
                due_label="gate",
                milestone=item.release,
            )
    for c in data.corrective_actions:
        if c.done_on is None:
            yield _item(OweKind.CORRECTIVE, c.id, c.title, "open", c.owner, today, due=c.due)


def _ordered(items: Iterable[OweItem]) -> list[OweItem]:
    """Overdue first (most overdue first), then by due date, then undated by age (oldest first)."""
    return sorted(items, key=lambda i: (i.days_left is None, i.days_left or 0, -(i.age_days or 0), i.ref))


def owes(items: list[OweItem], person_id: str) -> list[OweItem]:
    return _ordered(i for i in items if i.owner == person_id)


def owed(data: ProgramData, items: list[OweItem], person: Person) -> list[OweItem]:
    mine = {m.id for m in data.milestones if m.owner == person.id}
    consumed = {d.id for d in data.dependencies if person.team and d.consumer_team == person.team}
    found: list[OweItem] = []
    for item in items:
        if item.owner == person.id or item.kind in (OweKind.RAID, OweKind.MILESTONE, OweKind.CORRECTIVE):
            continue
        reasons = []
        if item.kind == OweKind.DEPENDENCY and item.record_id in consumed:
            reasons.append(f"your team {person.team} consumes it")
        if item.milestone in mine:
            reasons.append(f"on your milestone {item.milestone}")
        if reasons:
            found.append(item.model_copy(update={"why": "; ".join(reasons)}))
    return _ordered(found)


def owe_report(data: ProgramData, person: Person, now: datetime) -> OweReport:
    items = open_items(data, now)
    return OweReport(
        program_id=data.program.id,
        program_name=data.program.name,
        person_id=person.id,
        person_name=person.name,
        email=person.email,
        team=person.team,
        as_of=local_date(now, zone(data.program.timezone)),
        owes=owes(items, person.id),
        owed=owed(data, items, person),
    )


def people_loads(data: ProgramData, now: datetime) -> list[PersonLoad]:
    """Counts per person, in directory order (by name): an overview, not a league table."""
    items = open_items(data, now)
    loads = []
    for person in sorted(data.people, key=lambda p: p.name):
        mine, waiting = owes(items, person.id), owed(data, items, person)
        loads.append(
            PersonLoad(
                person_id=person.id,
                name=person.name,
                team=person.team,
                owes=len(mine),
                owes_overdue=sum(i.overdue for i in mine),
                owed=len(waiting),
                owed_overdue=sum(i.overdue for i in waiting),
            )
        )
    return loads
