"""Which sentences of a meeting the offline engine drafts, and how sure it is of each.

Precision first: a draft is a commitment, a decision or a risk a program manager would write down.
Each sentence gets a rule confidence per kind from its form (who speaks for whom, a due date, an
explicit decision or risk phrase, a question) and, when the exemplar model is loaded, how close it
reads to annotated minutes. A sentence becomes at most one draft: of the kind it is surest of.
Forms that are never a draft of a kind are excluded before any scoring:

- a question is never a decision or an action (a request "can you ...?" is an action for the
  person asked; a question that offers alternatives or asks whether to do something can become an
  open question);
- a first-person commitment is an action, not a decision;
- a description ("this is the chip ...", "it's on the checklist") is not a decision;
- a fragment (fewer than three content words once the subject, fillers and the due date are taken
  out) and small talk (no work content) are nothing;
- an agreement that does not say what was agreed ("it's basically what we agreed upon") is not a
  decision.

A request answered by the person asked ("Samir, can you take Friday?" ... "Sure") is one action,
surer for the yes; answered with a no it is dropped. The addressee restating the request ("Sure,
I'll send it tomorrow") merges into the request's action.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pilot.text.dates import find_due_phrase

_QUESTION_START = re.compile(
    r"^(?:what|when|who|whom|whose|where|why|how|which|is|are|was|were|do|does|did|can|could|should|"
    r"shall|will|would|have|has|may|might|must|isn't|aren't|don't|doesn't)\b",
    re.I,
)
_TAG_QUESTION = re.compile(r",\s*(?:right|yeah|no|okay|ok|correct|isn't it|don't you think)\?$", re.I)
_REQUEST = re.compile(
    r"^(?:(?:[A-Z][\w.'-]*\s*,\s*)?(?:so\s+|and\s+|but\s+|okay\s+|now\s+)?)"
    r"(?:can|could|would|will) you\s+(?!tell|hear|see|say|remind|explain|imagine|believe|repeat)",
    re.I,
)
_LEAD_IN = r"(?:[\w' -]{1,25},\s+)?"  # "For the rest, I'll ..." / "Sure, I'll ..."
_COMMITMENT = re.compile(
    rf"^{_LEAD_IN}(?:i'll|i will|i'm going to|i am going to|i'm gonna|i can take|let me|i'll try to|i shall)\s+"
    r"(?!say|tell|just say|be honest|admit|be quick|start with|put it this way|"
    r"put (?:it |that |this )?down|note (?:it|that|this|down)|make a note|write (?:it |that )?down|take a note)",
    re.I,
)
_OFFER = re.compile(rf"^{_LEAD_IN}(?:i can|i could)\s+(?!see|hear|say|tell|imagine|understand|think)", re.I)
_BARE_OBJECT = re.compile(
    r"^(?:[\w' -]{1,25},\s+)?(?:i'll|i will|i can|we'll)\s+\w+\s+(?:some|any|more|one|a few|a couple)\b(?!\s+(?:of\s+)?[a-z]{3,}\s)",
    re.I,
)
_GROUP_PLAN = re.compile(
    r"^(?:we'll|we will|we're going to|we are going to|we need to|we have to|we should|we must|"
    r"let's|let us)\s+(?!see|talk|move on|start|go on|continue|wait|have a look at|look at it)",
    re.I,
)
_STRONG_DECISION = re.compile(
    r"\b(?:we(?:'ve| have)? (?:decided|agreed)|let's go with|so we'll use|we're going with|decision:|"
    r"(?:it's|that's|it is|that is) (?:decided|agreed|settled)|we'll go with|we will go with|"
    r"we agreed|agreed, then|the decision is|we settled on|we're sticking with)",
    re.I,
)
_DECISION_FORM = re.compile(
    r"\b(?:let's|we'll (?:use|have|go|keep|make|put|stick)|we will (?:use|have|go|keep|make|put|stick)|"
    r"(?:is|are) going to (?:be|have)|will (?:be|have)|stays|go for|go with|stick with|settle on|"
    r"should (?:be|have)|we're going to (?:use|have|go|keep)|agreed|decided|final)\b",
    re.I,
)
_DESCRIPTION = re.compile(
    r"^(?:this|that|these|those|it|there|here)(?:'s|\s+is|\s+are|\s+was|\s+were|'re)\b", re.I
)
# How the meeting itself runs ("let's give people another minute", "let's keep it to fifteen minutes")
_MEETING_PROCESS = re.compile(
    r"^(?:[\w' -]{1,25},\s+)?(?:let's|let us|we'll|we will)\s+(?:give (?:people|everyone|it)|wait|get started|start|begin|keep it to|"
    r"move on|take a (?:break|minute)|wrap up|go around|go through the agenda|come back to)\b",
    re.I,
)
_STRONG_RISK = re.compile(
    r"\b(?:the (?:big |main |real )?risk is|(?:is|are|we're|i'm|still|already) blocked (?:on|by)|"
    r"blocked on|might slip|could slip|may slip|will slip|at risk|is slipping|won't make|"
    r"can't make|the (?:big |main )?concern is|the (?:big |main )?problem is|the issue is)\b",
    re.I,
)
_PROBLEM_CUE = re.compile(
    r"\b(?:problem|issue|risk|concern\w*|worr\w*|expensive|budget|difficult|hard|can't|cannot|too|"
    r"not sure|don't know|might not|unless|trouble|limit\w*|blocked|slip|delay\w*|fail\w*|broken|"
    r"missing|lack|short of|behind)\b",
    re.I,
)
_ALTERNATIVES = re.compile(r"\b(?:or|whether)\b", re.I)
_OPEN_POINT = re.compile(r"^(?:should we|shall we|do we|are we going to|who (?:signs|decides|owns))\b", re.I)
_OPEN_POINT_FORM = re.compile(
    r"^(?:[^?]{1,90}:\s+|[\w' -]{1,40}[.,]\s+)?(?:do we|should we|shall we|are we|is (?:that|it)|who|which)\b",
    re.I,
)
_NAMED_OPEN_POINT = re.compile(r"\bopen (?:question|point|issue)\b|\bneeds? a decision\b", re.I)
_HEDGE = re.compile(
    r"\b(?:i think|i guess|maybe|perhaps|probably|i don't know|kind of|sort of|i mean)\b", re.I
)
_YES = re.compile(
    r"^(?:yes|yeah|yep|sure|okay|ok|fine|will do|of course|absolutely|no problem|on it|sounds good|"
    r"i can|i will|i'll|definitely|certainly|can do|got it|works for me)\b",
    re.I,
)
_NO = re.compile(r"^(?:no\b|nope|i can't|i cannot|not (?:me|really)|sorry,? (?:i|no))", re.I)
_STOP = frozenset(
    """a an the and or but so to of in on at for with by from up out it its it's this that these those
    there here i i'll i'm me my we we'll we're us our you you'll your they them their he she his her
    is are was were be been being am do does did have has had will would can could should shall may
    might must just really very some any all one thing things stuff lot bit kind sort okay ok yeah
    yes no not well then now also too maybe probably promise sure please thanks thank again
    let let's gonna going get got go like think know mean say said see""".split()
)

# Words that say a decision was made, or when, but not what: "It's basically what we agreed upon."
# and "The group agreed before." name no decision a program manager could record.
_AGREEMENT_ONLY = frozenset(
    """agree agreed agreeing agreement decide decided decision decisions settle settled final
    finally upon before already earlier basically what which whatever everybody everyone group
    said discussed talked last time yesterday previously that's what's there's we've""".split()
)

Kind = str  # "actions" | "decisions" | "problems"


@dataclass
class Reply:
    """The addressee's answer to a request within the next turns: yes, no, or their own words."""

    accepted: bool | None  # None: no answer from the person asked
    turn_index: int | None = None
    text: str = ""


def is_question(sentence: str) -> bool:
    text = sentence.strip()
    return text.endswith("?") and not _TAG_QUESTION.search(text)


def is_request(sentence: str) -> bool:
    return bool(_REQUEST.match(sentence.strip()))


def content_words(sentence: str) -> list[str]:
    """The words that carry the work: not the subject, fillers or pronouns."""
    words = re.findall(r"[a-z0-9][a-z0-9'/-]*", sentence.lower())
    return [w for w in words if w not in _STOP and len(w) > 1]


def rule_confidence(kind: Kind, sentence: str, reply: Reply | None = None) -> float:
    """How sure the sentence's form alone makes it a draft of `kind`; 0 is "never"."""
    text = sentence.strip()
    content = content_words(text)
    if len(content) < 2:
        return 0.0
    question = is_question(text)
    hedged = 0.15 if _HEDGE.search(text) else 0.0
    due = find_due_phrase(text) is not None
    if kind == "actions":
        return _action_confidence(text, question, due, hedged, reply)
    if kind == "decisions":
        if question or is_request(text) or _COMMITMENT.match(text):
            return 0.0
        if not [w for w in content if w not in _AGREEMENT_ONLY]:  # agreement without a subject
            return 0.0
        if _STRONG_DECISION.search(text):
            return 0.9
        if _DESCRIPTION.match(text) or _MEETING_PROCESS.search(text):
            return 0.0
        return max(0.0, (0.45 if _DECISION_FORM.search(text) else 0.2) - hedged)
    if question:  # problems: an open point that needs a decision
        alternatives = bool(_ALTERNATIVES.search(text)) and not re.search(
            r"\bor (?:not|something|so)\b", text, re.I
        )
        if (alternatives and _OPEN_POINT_FORM.match(text)) or _NAMED_OPEN_POINT.search(text):
            return 0.85
        if alternatives or _OPEN_POINT.match(text):
            return 0.5
        return 0.1
    if _STRONG_RISK.search(text):
        return 0.9
    return max(0.0, (0.4 if _PROBLEM_CUE.search(text) else 0.15) - hedged / 2)


def _action_confidence(text: str, question: bool, due: bool, hedged: float, reply: Reply | None) -> float:
    if is_request(text):
        if reply is not None and reply.accepted is False:
            return 0.0
        base = 0.85 if reply is not None and reply.accepted else 0.5
        return min(0.97, base + (0.1 if due else 0.0))
    if question or _BARE_OBJECT.match(text):
        return 0.0
    if _COMMITMENT.match(text):
        return (0.95 if due else 0.6) - hedged
    if _OFFER.match(text):
        return (0.85 if due else 0.35) - hedged
    if _GROUP_PLAN.match(text):
        return (0.5 if due else 0.3) - hedged
    return max(0.0, 0.15 - hedged)


def find_reply(
    turns: Sequence[tuple[int, str | None, str]], position: int, addressee: str | None, window: int = 3
) -> Reply:
    """The addressee's first turn among the next `window` turns, read as a yes or a no."""
    if addressee is None:
        return Reply(accepted=None)
    for index, speaker, text in turns[position + 1 : position + 1 + window]:
        if speaker != addressee:
            continue
        answer = re.sub(r"^[\W_]+", "", text.strip())
        if _NO.match(answer):
            return Reply(accepted=False, turn_index=index, text=text)
        if _YES.match(answer) or re.search(r"\b(?:i'll|i will|i can)\b", answer, re.I):
            return Reply(accepted=True, turn_index=index, text=text)
        return Reply(accepted=None, turn_index=index, text=text)
    return Reply(accepted=None)


def combined_confidence(rule: float, exemplar: float | None, weight: float) -> float:
    """The rule confidence, moved towards the exemplar closeness by `weight` (0: rules alone)."""
    if rule <= 0.0:
        return 0.0
    if exemplar is None:
        return round(rule, 3)
    return round((1 - weight) * rule + weight * exemplar, 3)


def exemplar_closeness(nearest: float, low: float = 0.3, high: float = 0.85) -> float:
    """Mean cosine to the nearest exemplars, mapped to 0..1 between `low` and `high`."""
    return float(min(1.0, max(0.0, (nearest - low) / (high - low))))
