"""Run a question's intent over the program's records, as of a date. Pure.

What each word means, per record kind (see `rules.record_views` for open, done and own date):
- overdue: open and its own date before the as-of date T; "late" is the same, except that a
  milestone asked about on its own is late when it slipped or is overdue.
- slipped: an open milestone forecast after its target; "slipped in the last N days": a
  re-forecast in that window that moved the forecast later than the one standing before it.
- at risk / blocked: the status of milestones and dependencies; stale: open, no progress for N days.
- windows: next N days T < date <= T+N on the own date; last N days T-N < date <= T on when the
  record was opened (finished for "done", re-forecast for "slipped"); older than N: opened more
  than N days before T; before a milestone: T <= own date < the milestone's forecast.
- blocking M: open dependencies and open risks and issues linked to M (pending decisions when
  decisions are asked); threatening M: its at-risk or blocked dependencies and open risks, and M
  itself when it is "the next milestone" (open, earliest forecast on or after T, ties by id).
- a team: the open dependencies it provides; a person: everything open they own or decide.
- with no state word, open records (any state for a topic look-up, incidents and "who owns").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from pilot.domain.answers import IntentCandidate
from pilot.domain.program import Person, ProgramData
from pilot.rules.intent_topics import match_topic
from pilot.rules.people import PeopleDirectory
from pilot.rules.record_views import COMMITMENTS, RecordView, record_views

_RAID = ("risk", "issue", "assumption", "raid-dependency")
_PERSONAL = ("action", *_RAID, "dependency", "decision", "milestone", "readiness", "corrective")
DEFAULT_STALE_DAYS = 30


@dataclass
class Reading:
    """One reading of the question (two when a name fits two people)."""

    person: Person | None
    views: list[RecordView]


@dataclass
class QueryResult:
    today: date
    kinds: tuple[str, ...]
    states: tuple[str, ...]
    readings: list[Reading]
    milestone: RecordView | None = None
    team: str | None = None
    unknown: list[str] = field(default_factory=list)  # names or ids the program does not have
    topic_words: tuple[str, ...] = ()
    topic_matches: list[RecordView] = field(default_factory=list)  # of any state: "DEC-07 is still pending"

    @property
    def views(self) -> list[RecordView]:
        seen: dict[str, RecordView] = {}
        for reading in self.readings:
            for view in reading.views:
                seen.setdefault(view.ref, view)
        return list(seen.values())


def run_query(data: ProgramData, intent: IntentCandidate, today: date) -> QueryResult:
    views = record_views(data)
    by_id = {v.id.lower(): v for v in views if v.kind == "milestone"}
    milestone, unknown = _milestone(intent, views, by_id, today)
    if milestone is None and intent.relation in ("blocking", "threatening") and intent.topic:
        # "What is blocking the ledger?": the open milestone the topic names best, soonest first.
        open_milestones = [v for v in views if v.kind == "milestone" and v.is_open]
        _, named = match_topic(intent.topic, open_milestones, all_views=views)
        targets = sorted(
            (v for v in open_milestones if named and v.ref in named), key=lambda v: (v.due or today, v.id)
        )
        if targets:
            milestone = targets[0]
            intent = intent.model_copy(update={"topic": None, "milestone": milestone.id})
    kinds = _kinds(intent, milestone)
    states = _states(intent)
    result = QueryResult(today, kinds, states, [], milestone=milestone, team=intent.team, unknown=unknown)
    if unknown:
        return result
    pool = [v for v in views if v.kind in kinds]
    if intent.records:
        pool = [v for v in views if v.ref in intent.records] or pool
    pool = _graph(pool, intent, milestone)
    pool = [
        v for v in pool if _window(v, intent, states, milestone, today) and _state(v, intent, states, today)
    ]
    if intent.team:
        pool = [v for v in pool if _team_matches(v, intent.team, data)]
    if intent.severity is not None:
        pool = [v for v in pool if v.severity == intent.severity]
    if intent.critical_path:
        critical = {v.id for v in views if v.kind == "milestone" and v.critical}
        pool = [v for v in pool if v.critical or (v.kind != "milestone" and v.milestone in critical)]
    if intent.topic:
        universe = [v for v in views if v.kind in kinds]
        words, chosen = match_topic(intent.topic, universe, all_views=views)
        result.topic_words = words
        result.topic_matches = sorted((v for v in universe if chosen and v.ref in chosen), key=_order)
        if words or chosen is not None:
            pool = [v for v in pool if chosen is not None and v.ref in chosen]
    result.readings = _by_person(pool, intent, data, result)
    for reading in result.readings:
        reading.views.sort(key=_order)
    return result


def _milestone(
    intent: IntentCandidate, views: list[RecordView], by_id: dict[str, RecordView], today: date
) -> tuple[RecordView | None, list[str]]:
    if not intent.milestone:
        return None, []
    said = intent.milestone.strip()
    if said.lower() == "next":
        upcoming = sorted(
            (v for v in views if v.kind == "milestone" and v.is_open and v.due and v.due >= today),
            key=lambda v: (v.due or today, v.id),
        )
        return (upcoming[0] if upcoming else None), []
    found = by_id.get(said.lower()) or next(
        (v for v in views if v.kind == "milestone" and v.title.lower() == said.lower()), None
    )
    return found, ([] if found else [said])


def _kinds(intent: IntentCandidate, milestone: RecordView | None) -> tuple[str, ...]:
    asked: list[str] = []
    for kind in intent.kinds:
        asked += list(_RAID) if kind == "raid" else [kind]
    if asked:
        return tuple(dict.fromkeys(asked))
    if intent.relation == "blocking":
        return ("dependency", "risk", "issue")
    if intent.relation == "threatening":
        return ("dependency", "risk", "milestone") if milestone is not None else ("dependency", "risk")
    if intent.team and not intent.person:
        return ("dependency",)
    if intent.person:
        return _PERSONAL
    if intent.stale_days is not None or intent.older_than_days is not None:
        return ("risk", "issue")
    if intent.window == "last":
        return (*COMMITMENTS, *_RAID)
    if intent.window or set(intent.states) & {"overdue", "late", "slipped"} or intent.relation == "linked":
        return (*COMMITMENTS, "risk", "issue") if intent.relation == "linked" else COMMITMENTS
    return (*COMMITMENTS, *_RAID, "incident", "change")


def _states(intent: IntentCandidate) -> tuple[str, ...]:
    states = list(dict.fromkeys(intent.states))
    if "any" in states:
        return ("any",)
    if states:
        return tuple(states)
    if intent.relation in ("blocking", "threatening") or intent.window in ("last",):
        return ("any",) if intent.window == "last" else ()
    lookup = bool(intent.topic or intent.records) and not (intent.person or intent.team or intent.milestone)
    if intent.asks_owner or lookup or (intent.kinds and set(intent.kinds) <= {"incident", "change"}):
        return ("any",)
    return ("open",)


def _graph(pool: list[RecordView], intent: IntentCandidate, milestone: RecordView | None) -> list[RecordView]:
    if milestone is None or intent.window == "before_milestone":
        return pool
    linked = [v for v in pool if v.kind != "milestone" and v.milestone == milestone.id]
    if intent.relation == "blocking":
        return [v for v in linked if v.is_open]
    if intent.relation == "threatening":
        threats = [
            v
            for v in linked
            if (v.kind == "dependency" and v.status in ("at_risk", "blocked"))
            or (v.kind == "risk" and v.is_open)
            or (v.kind not in ("dependency", "risk") and v.is_open)
        ]
        if intent.milestone == "next" and any(v.kind == "milestone" for v in pool):
            threats.insert(0, milestone)
        return threats
    return linked


def _window(
    view: RecordView,
    intent: IntentCandidate,
    states: tuple[str, ...],
    milestone: RecordView | None,
    today: date,
) -> bool:
    if intent.older_than_days is not None and not (
        view.created and (today - view.created).days > intent.older_than_days
    ):
        return False
    if intent.stale_days is not None or "stale" in states:
        days = intent.stale_days if intent.stale_days is not None else DEFAULT_STALE_DAYS
        last = view.progress or view.created
        if not (view.is_open and last and (today - last).days > days):
            return False
    window = intent.window
    if window is None:
        return True
    if window == "before_milestone":
        end = milestone.due if milestone else None
        return bool(end and view.is_open and view.due and today <= view.due < end)
    if window == "last":
        start = today - timedelta(days=intent.window_days or 7)
        return any(start < day <= today for day in _events(view, states))
    if window == "this_week":
        monday = today - timedelta(days=today.weekday())
        if set(states) & {"done", "decided", "slipped"} or any(s == "any" for s in states):
            return any(monday <= day <= today for day in _events(view, states))
        return bool(view.due and today <= view.due <= monday + timedelta(days=6))
    if window == "next_week":
        monday = today - timedelta(days=today.weekday()) + timedelta(days=7)
        return bool(view.due and monday <= view.due <= monday + timedelta(days=6))
    end = today + timedelta(days=intent.window_days or 7)
    return bool(view.due and today < view.due <= end)


def _events(view: RecordView, states: tuple[str, ...]) -> list[date]:
    if "slipped" in states:
        return [s.changed_on for s in view.slips]
    if set(states) & {"done", "decided"}:
        return [view.completed] if view.completed else []
    return [view.created] if view.created else []


def _state(view: RecordView, intent: IntentCandidate, states: tuple[str, ...], today: date) -> bool:
    if not states or "any" in states:
        return True
    overdue = bool(view.is_open and view.due and view.due < today)
    alone = set(intent.kinds) == {"milestone"}

    def holds(state: str) -> bool:
        if state == "open" or state == "stale":
            return view.is_open
        if state == "overdue":
            return overdue
        if state == "late":
            return overdue or (alone and view.slipped)
        if state == "slipped":
            if intent.window == "last":
                return bool(view.slips)
            return view.slipped if view.kind == "milestone" else overdue
        if state == "at_risk":
            return view.status == "at_risk"
        if state == "blocked":
            return view.status == "blocked"
        if state == "decided":
            return view.is_done
        return view.is_done if state == "done" else True

    others = [s for s in states if s not in ("open", "stale")]
    if others:
        return any(holds(s) for s in others) and (("open" not in states) or view.is_open or "done" in others)
    return all(holds(s) for s in states)


def _team_matches(view: RecordView, team: str, data: ProgramData) -> bool:
    if view.kind == "dependency":
        return view.provider_team == team
    members = {p.id for p in data.people if p.team == team}
    return view.team == team or (view.owner in members)


def _by_person(
    pool: list[RecordView], intent: IntentCandidate, data: ProgramData, result: QueryResult
) -> list[Reading]:
    if not intent.person:
        return [Reading(None, pool)]
    people = sorted(PeopleDirectory(data.people).match(intent.person), key=lambda p: p.name)
    if not people:
        result.unknown.append(intent.person)
        return []
    return [Reading(person, [v for v in pool if v.owner == person.id]) for person in people]


_KIND_ORDER = {
    k: i
    for i, k in enumerate(
        (
            "milestone",
            "dependency",
            "risk",
            "issue",
            "decision",
            "action",
            "readiness",
            "corrective",
            "assumption",
            "raid-dependency",
            "incident",
            "change",
        )
    )
}


def _order(view: RecordView) -> tuple[int, str]:
    return _KIND_ORDER.get(view.kind, 99), view.id
