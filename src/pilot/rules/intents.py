"""What a question asks for, deterministically: its type (who, when, how many, what) and, for
questions about program data, a structured intent (record kind, owner, status, age). Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

QuestionType = Literal["who", "when", "howmany", "what"]
_PERSON_TAG = re.compile(r"\[(?:PERSON|ORGANIZATION|PROJECT)\d+\]|\b(?:PERSON|ORGANIZATION)\d+\b")
_TIME_WORDS = re.compile(
    r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|tomorrow|yesterday|tonight|week|weeks|month|"
    r"months|year|deadline|morning|afternoon|evening|o'clock|am|pm|january|february|march|april|may|june|july|august|"
    r"september|october|november|december|next|until|by the end|\d{1,2}[:.]\d{2}|\d{4})\b", re.I)  # fmt: skip
_NUMBER_WORDS = re.compile(r"\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
                           r"hundred|thousand|couple|dozen|several|half)\b", re.I)  # fmt: skip


def question_type(question: str) -> QuestionType:
    q = question.strip().lower()
    if re.match(r"^(who|whom|whose)\b", q) or re.search(r"\bwho\b", q[:40]):
        return "who"
    if re.match(r"^(when|by when|until when|what (?:time|date|day))\b", q):
        return "when"
    if re.match(r"^(how (?:many|much|long|often))\b", q):
        return "howmany"
    return "what"


def answer_type_bonus(kind: QuestionType, text: str) -> float:
    """How much a passage looks like it holds the kind of answer asked for (0..1)."""
    words = max(1, len(text.split()))
    if kind == "who":
        return min(1.0, 12 * len(_PERSON_TAG.findall(text)) / words)
    if kind == "when":
        return min(1.0, 15 * len(_TIME_WORDS.findall(text)) / words)
    if kind == "howmany":
        return min(1.0, 15 * len(_NUMBER_WORDS.findall(text)) / words)
    return 0.0


RecordKind = Literal["risks", "issues", "decisions", "milestones", "dependencies", "actions"]


Status = Literal["open", "pending", "late", "overdue", "at_risk", "done", "any"]


@dataclass(frozen=True)
class Intent:
    """A structured question about program data."""

    record: RecordKind
    owner: str | None = None  # a name as said; resolved against the directory by the caller
    status: Status = "any"
    older_than_days: int | None = None
    due_within_days: int | None = None
    words: tuple[str, ...] = field(default_factory=tuple)  # what the question is about, for matching titles


# Most specific first: "dependencies at risk" is about dependencies, not risks.
_RECORD_WORDS: tuple[tuple[RecordKind, str], ...] = (
    ("dependencies", r"\bdependenc"), ("decisions", r"\bdecisions?\b|\bdecide"),
    ("actions", r"\baction items?\b|\bactions?\b|\btasks?\b|\bto-?dos?\b"),
    ("milestones", r"\bmilestones?\b|\bslip|\blate\b"), ("issues", r"\bissues?\b|\bblockers?\b"),
    ("risks", r"\brisks\b|(?<!at )\brisk\b"),
)  # fmt: skip
_OWNER = re.compile(
    r"\b(?:owned by|assigned to|for|owner is|does|has)\s+([A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+)?)"
)
_WHOSE = re.compile(r"^(?:what|which|show|list)\b.*?\b([A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)'s\b")
_AGE = re.compile(r"\b(?:older than|open (?:for )?more than|more than|over)\s+(\d+)\s+days?\b", re.I)
_WITHIN = re.compile(r"\b(?:next|within)\s+(\d+)\s+days?\b", re.I)
_STOP = frozenset("what which who is are the a an of for on in to show list me all any open pending late overdue at risk "
                  "owned by assigned does has have our program status items item do we".split())  # fmt: skip


def parse_intent(question: str) -> Intent | None:
    """A structured intent when the question is about program records; None for open questions."""
    q = question.strip()
    lowered = q.lower()
    record = next((kind for kind, pattern in _RECORD_WORDS if re.search(pattern, lowered)), None)
    if record is None:
        return None
    if "slip" in lowered or "late" in lowered or "behind" in lowered:
        status: Status = "late"
    elif "overdue" in lowered:
        status = "overdue"
    elif "at risk" in lowered or "blocked" in lowered:
        status = "at_risk"
    elif "pending" in lowered or "waiting" in lowered or "open" in lowered or "unresolved" in lowered:
        status = "pending" if record == "decisions" else "open"
    elif "done" in lowered or "closed" in lowered or "decided" in lowered or "delivered" in lowered:
        status = "done"
    else:
        status = "any"
    owner_match = _OWNER.search(q) or _WHOSE.search(q)
    owner = owner_match.group(1) if owner_match else None
    age = _AGE.search(q)
    within = _WITHIN.search(q)
    words = tuple(w for w in re.findall(r"[a-z0-9]+", lowered) if w not in _STOP and len(w) > 2)
    return Intent(record=record, owner=owner, status=status, older_than_days=int(age.group(1)) if age else None,
                  due_within_days=int(within.group(1)) if within else None, words=words)  # fmt: skip
