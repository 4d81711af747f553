"""The words of a structured answer: one sentence that answers the question, then one row per
record. Pure: names come from the program, dates from the query's as-of day.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from pilot.domain.answers import IntentCandidate
from pilot.domain.program import ProgramData
from pilot.rules.intent_query import QueryResult, Reading
from pilot.rules.record_views import NOUNS, RecordView

LEAD_DETAILS = 4  # records described in the lead sentence; the rest are named by id


@dataclass(frozen=True)
class Row:
    ref: str
    text: str
    reading: str | None = None


def describe(view: RecordView, names: dict[str, str], today_iso: str, *, short: bool = False) -> str:
    """'DEC-07 (Hold wave 1 ..., needed by 2026-11-24, decider Dana Whitfield)'."""
    title = view.title if not short or len(view.title) <= 60 else view.title[:57].rstrip() + "..."
    parts = [title]
    if view.due:
        late = view.is_open and view.due.isoformat() < today_iso
        parts.append(f"{view.due_label} {view.due.isoformat()}{' (passed)' if late and short else ''}")
    if view.kind == "milestone" and view.target and view.due and view.due != view.target:
        parts.append(f"target {view.target.isoformat()}")
    if not short or not view.is_open:
        parts.append(view.status.replace("_", " "))
    if view.owner:
        parts.append(
            f"{'decider' if view.kind == 'decision' else 'owner'} {names.get(view.owner, view.owner)}"
        )
    return f"{view.id} ({', '.join(parts)})"


def row_text(view: RecordView, names: dict[str, str], today_iso: str) -> str:
    text = describe(view, names, today_iso)
    if view.is_open and view.due and view.due.isoformat() < today_iso:
        text += " · past its date"
    if view.kind in ("risk", "issue") and view.progress:
        text += f" · opened {view.created}, last progress {view.progress}"
    if view.kind == "dependency":
        text += f" · {view.provider_team} to {view.consumer_team}"
    return text


def _noun(kinds: set[str], count: int) -> str:
    if len(kinds) == 1:
        singular, plural = NOUNS.get(next(iter(kinds)), ("record", "records"))
        return singular if count == 1 else plural
    return "item" if count == 1 else "items"


_STATE_WORDS = {
    "open": "open",
    "overdue": "overdue",
    "late": "late",
    "slipped": "slipped",
    "at_risk": "at risk",
    "blocked": "blocked",
    "done": "done",
    "decided": "decided",
    "stale": "open",
}


def _state_words(result: QueryResult) -> str:
    states = [s for s in result.states if s not in ("any", "open", "stale")] or [
        s for s in result.states if s in ("open", "stale")
    ]
    return " or ".join(dict.fromkeys(_STATE_WORDS.get(s, s) for s in states))


def _conditions(intent: IntentCandidate, result: QueryResult) -> str:
    parts: list[str] = []
    m = result.milestone
    if m is not None:
        label = f"{m.id} ({m.title})"
        parts.append(
            {"blocking": f"blocking {label}", "threatening": f"threatening {label}"}.get(
                intent.relation or "",
                f"before {label}" if intent.window == "before_milestone" else f"for {label}",
            )
        )
    if result.team:
        parts.append(f"from {result.team}")
    if intent.window == "next":
        parts.append(f"due in the next {intent.window_days} days")
    elif intent.window == "last":
        parts.append(f"in the last {intent.window_days} days")
    elif intent.window in ("this_week", "next_week"):
        parts.append(intent.window.replace("_", " "))
    if intent.older_than_days is not None:
        parts.append(f"opened more than {intent.older_than_days} days ago")
    if intent.stale_days is not None:
        parts.append(f"with no progress in {intent.stale_days} days")
    if intent.critical_path:
        parts.append("on the critical path")
    if intent.severity is not None:
        parts.append(f"of severity {intent.severity}")
    if result.topic_words:
        parts.append("about " + " ".join(result.topic_words))
    return " ".join(parts)


def lead_sentence(intent: IntentCandidate, result: QueryResult, data: ProgramData) -> str:
    names = {p.id: p.name for p in data.people}
    today = result.today.isoformat()
    if result.unknown:
        return f"As of {today}, this program has nothing called {', '.join(repr(u) for u in result.unknown)}."
    if len(result.readings) > 1:
        readings = "; ".join(_reading_sentence(r, intent, result, names, today) for r in result.readings)
        who = " or ".join(r.person.name for r in result.readings if r.person)
        return f"As of {today}, '{intent.person}' could mean {who}; both readings: {readings}."
    reading = result.readings[0] if result.readings else Reading(None, [])
    return f"As of {today}, {_reading_sentence(reading, intent, result, names, today)}." + _still_pending(
        result, reading, names, today
    )


def _reading_sentence(
    reading: Reading, intent: IntentCandidate, result: QueryResult, names: dict[str, str], today: str
) -> str:
    conditions = _conditions(intent, result)
    views = reading.views
    kinds: set[str] = {v.kind for v in views} or set(intent.kinds) or {"record"}
    noun = _noun(kinds, len(views))
    whose = f" owned by {reading.person.name}" if reading.person else ""
    state = _state_words(result)
    if not views:
        kinds_asked: set[str] = set(intent.kinds) or {"record"}
        if state == "decided":
            return f"none: no {_noun(kinds_asked, 1)} {conditions} has been made".replace("  ", " ")
        verb = f" are {state}" if state else ""
        return f"none: no {_noun(kinds_asked, 0)}{whose}{verb} {conditions}".rstrip()
    if intent.asks_owner and not intent.count:
        owned = [
            f"{names.get(v.owner or '', 'no one')} owns {describe(v, names, today, short=True)}"
            for v in views
        ]
        return _join(owned[:LEAD_DETAILS]) + (
            f" and {len(views) - LEAD_DETAILS} more" if len(views) > LEAD_DETAILS else ""
        )
    verb = f" {'is' if len(views) == 1 else 'are'} {state}" if state else ""
    head = f"{len(views)} {noun}{whose}{verb} {conditions}".rstrip()
    if intent.count:
        mix = Counter(v.kind for v in views)
        split = ", ".join(f"{n} {_noun({k}, n)}" for k, n in mix.items()) if len(mix) > 1 else ""
        return head + (f" ({split})" if split else "")
    if len(views) <= LEAD_DETAILS:
        return head + ": " + _join([describe(v, names, today, short=True) for v in views])
    return head + ": " + ", ".join(v.id for v in views[:12]) + (" and more" if len(views) > 12 else "")


def _still_pending(result: QueryResult, reading: Reading, names: dict[str, str], today: str) -> str:
    shown = {v.ref for v in reading.views}
    others = [v for v in result.topic_matches if v.ref not in shown and v.is_open]
    if not others or reading.views:
        return ""
    return (
        " Still open on this topic: "
        + _join([describe(v, names, today, short=True) for v in others[:3]])
        + "."
    )


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def answer_rows(result: QueryResult, data: ProgramData) -> list[Row]:
    names = {p.id: p.name for p in data.people}
    today = result.today.isoformat()
    rows: list[Row] = []
    several = len(result.readings) > 1
    for reading in result.readings:
        label = reading.person.name if several and reading.person else None
        rows += [Row(v.ref, row_text(v, names, today), label) for v in reading.views]
    return rows
