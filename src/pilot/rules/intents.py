"""What a question asks, deterministically: a small grammar over the question that reads record
kinds, a person, a team, a milestone and its relation (blocking, threatening, before), state
words, time windows, a topic, "how many" and "why", into an `IntentCandidate` (the same shape the
LLM returns). Pure: the program's vocabulary is passed in; `rules.intent_query` runs the result.

The parser consumes what it recognises, in order from the most specific (names, milestones,
relations, durations) to the most general (kinds, states); the content words left over are the
topic. Questions it cannot tie to program records come back with `about_records=False`.
"""

from __future__ import annotations

import re
from typing import Literal, cast

from pilot.domain.answers import IntentCandidate, RecordKind, StateWord
from pilot.rules import intent_lexicon as lex
from pilot.rules.intent_topics import words_of
from pilot.rules.intent_vocabulary import Mention, Vocabulary, find_mentions

QuestionType = Literal["who", "when", "howmany", "what"]


def question_type(question: str) -> QuestionType:
    q = question.strip().lower()
    if re.match(r"^(who|whom|whose)\b", q) or re.search(r"\bwho\b", q[:40]):
        return "who"
    if re.match(r"^(when|by when|until when|what (?:time|date|day))\b", q):
        return "when"
    if re.match(r"^(how (?:many|much|long|often))\b", q):
        return "howmany"
    return "what"


class _Reading:
    """The question as it is consumed: the remaining text and what has been read from it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.values: dict[str, object] = {}
        self.kinds: list[RecordKind] = []
        self.states: list[StateWord] = []
        self.topic_cue = False

    def take(self, pattern: re.Pattern[str] | str, replacement: str = " ") -> list[re.Match[str]]:
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        found = list(regex.finditer(self.text))
        if found:
            self.text = regex.sub(replacement, self.text)
        return found


def parse_intent(question: str, vocab: Vocabulary | None = None) -> IntentCandidate:
    """Read a question as a query over program records (or say it is an open question)."""
    text, mentions = find_mentions(question, vocab or Vocabulary())
    reading = _Reading(" " + _normalise(text) + " ")
    _read_milestone_relations(reading, mentions)
    _read_durations(reading)
    _read_flags(reading)
    _read_kinds(reading)
    _read_states(reading)
    topic = _read_topic(reading)
    if topic and not reading.topic_cue and vocab is not None:
        # Without "about", "on" or "the X risk", only words the program uses can be a topic.
        topic = " ".join(w for w in topic.split() if words_of(w) & vocab.words) or None
    return _assemble(reading, mentions, topic, question)


def _normalise(text: str) -> str:
    lowered = text.lower().replace("’", "'")
    for short, full in (
        ("what's", "what is"),
        ("who's", "who is"),
        ("where's", "where is"),
        ("how's", "how is"),
        ("that's", "that is"),
        ("there's", "there is"),
        ("haven't", "have not"),
        ("hasn't", "has not"),
        ("isn't", "is not"),
        ("aren't", "are not"),
        ("don't", "do not"),
        ("doesn't", "does not"),
        ("didn't", "did not"),
        ("weren't", "were not"),
        ("wasn't", "was not"),
        ("we've", "we have"),
        ("we're", "we are"),
        ("won't", "will not"),
        ("can't", "cannot"),
    ):
        lowered = lowered.replace(short, full)
    return re.sub(r"[?!,;\"“”()]+|\.(?=\s|$)", " ", lowered)


def _read_milestone_relations(reading: _Reading, mentions: list[Mention]) -> None:
    if reading.take(lex.NEXT_MILESTONE, " ⟨m⟩ "):
        mentions.append(Mention("milestone", "next", ("next",)))
    if "⟨m⟩" not in reading.text:
        if reading.take(lex.BLOCKING_TOPIC):
            reading.values["relation"] = "blocking"
        elif reading.take(lex.THREATENING_TOPIC):
            reading.values["relation"] = "threatening"
        return
    if reading.take(lex.PUTS_AT_RISK, " ⟨m⟩ ") or reading.take(lex.THREATENING):
        reading.values["relation"] = "threatening"
    elif reading.take(lex.BLOCKING):
        reading.values["relation"] = "blocking"
    elif reading.take(lex.BEFORE_MILESTONE):
        reading.values["window"] = "before_milestone"
    reading.take(r"⟨m⟩(?:\s+milestone)?|\bmilestone\s+⟨m⟩|\bthe\s+(?=⟨m⟩)", " ⟨m⟩ ")


def _read_durations(reading: _Reading) -> None:
    for week in lex.CALENDAR_WEEK.finditer(reading.text):
        reading.values["window"] = "this_week" if week.group("which") == "this" else "next_week"
    reading.take(lex.CALENDAR_WEEK)
    stale_context = bool(lex.STALE_CUE.search(reading.text))
    while True:
        match: re.Match[str] | None = next(
            (m for m in lex.DURATION.finditer(reading.text) if _duration_role(reading, m)), None
        )
        if match is None:
            break
        days = _days(match)
        before = reading.text[: match.start()]
        role = _duration_role(reading, match)
        qualifier = next(
            (q for p in (lex.WINDOW_NEXT, lex.WINDOW_LAST, lex.OLDER) if (q := p.search(before))), None
        )
        qualifier = qualifier or re.search(r"\b(?:in|for)\s+$", before)
        start = qualifier.start() if qualifier else match.start()
        if role == "next":
            reading.values.update(window="next", window_days=days)
        elif role == "last" and stale_context:
            reading.values["stale_days"] = days
        elif role == "last":
            reading.values.update(window="last", window_days=days)
        elif stale_context:
            reading.values["stale_days"] = days
        else:
            reading.values["older_than_days"] = days
        after = re.match(r"\s*(?:old|ago|back|or\s+more|\+)\b", reading.text[match.end() :])
        end = match.end() + (after.end() if after else 0)
        reading.text = reading.text[:start] + " " + reading.text[end:]


def _duration_role(reading: _Reading, match: re.Match[str]) -> str | None:
    before = reading.text[: match.start()]
    if match.group("n") is None and match.group("unit") not in (
        "fortnight",
        "month",
        "week",
        "quarter",
        "year",
    ):
        return None
    if lex.WINDOW_NEXT.search(before):
        return "next"
    if lex.WINDOW_LAST.search(before):
        return "last"
    if lex.OLDER.search(before) or re.match(r"\s*(?:old|ago)\b", reading.text[match.end() :]):
        return "older"
    if match.group("n") is not None and re.search(r"\b(?:in|for)\s+$", before):
        return "last" if lex.STALE_CUE.search(reading.text) else "next"
    return None


def _days(match: re.Match[str]) -> int:
    number = match.group("n")
    count = 1 if number is None else int(number) if number.isdigit() else lex.NUMBER_WORDS[number]
    return count * lex.UNIT_DAYS[match.group("unit")]


def _read_flags(reading: _Reading) -> None:
    if reading.take(lex.COUNT):
        reading.values["count"] = True
    if lex.REASONS.search(reading.text):
        reading.values["wants_reasons"] = True
        reading.take(lex.REASONS)
    severity = lex.SEVERITY.search(reading.text)
    if severity:
        reading.values["severity"] = int(severity.group("level"))
        reading.kinds.append("incident")
        reading.take(lex.SEVERITY)
    if reading.take(lex.CRITICAL_PATH):
        reading.values["critical_path"] = True
    if lex.OWNER_QUESTION.search(reading.text):
        reading.values["asks_owner"] = True
    if lex.ALL_STATES.search(reading.text):
        reading.states.append("any")
        reading.take(lex.ALL_STATES)
    if lex.TOPIC_CUE.search(reading.text):
        reading.topic_cue = True


def _read_kinds(reading: _Reading) -> None:
    if reading.take(lex.NOT_ON_TIME):
        reading.states.append("late")
    for pattern, kind in lex.KINDS:
        if reading.take(rf"(?:{pattern})", " ⟨k⟩ "):
            reading.kinds.append(cast(RecordKind, kind))
            if kind == "decision":
                reading.values["decision_words"] = True


def _read_states(reading: _Reading) -> None:
    for pattern, state in lex.STATES:
        if reading.take(pattern):
            reading.states.append(cast(StateWord, state))


def _read_topic(reading: _Reading) -> str | None:
    # "the vendor risk", "the API deliverable": words right before a kind are its topic.
    if re.search(r"\b(?:the|a|an|this|that|our)\s+(?:[a-z0-9][\w+.&/-]*\s+){1,4}⟨k⟩", reading.text):
        reading.topic_cue = True
    rest = re.sub(r"⟨\w⟩", " ", reading.text)
    words = [
        w for w in re.findall(r"[a-z0-9][a-z0-9+&/.-]*[a-z0-9+]|[a-z0-9]", rest) if w not in lex.PHRASING
    ]
    return " ".join(words) or None


def _assemble(
    reading: _Reading, mentions: list[Mention], topic: str | None, question: str
) -> IntentCandidate:
    values = dict(reading.values)
    person = next((m for m in mentions if m.kind == "person"), None)
    team = next((m for m in mentions if m.kind == "team"), None)
    milestone = next((m for m in mentions if m.kind == "milestone"), None)
    records = [m.ids[0] for m in mentions if m.kind == "record"]
    kinds = list(dict.fromkeys(reading.kinds))
    states = list(dict.fromkeys(reading.states))
    if "decided" in states and kinds and "decision" not in kinds and not values.get("decision_words"):
        states = [s if s != "decided" else "done" for s in states]
    if values.pop("decision_words", False) and "decision" in kinds and not states and topic:
        past = re.search(
            r"\b(?:did|was|were|had|have\s+we|we\s+have|agreed|decided|landed|settled|made|chose|"
            r"concluded|final|remind)\b",
            question.lower(),
        )
        if past:
            states = ["decided"]
    if milestone and kinds == ["milestone"] and values.get("relation"):
        kinds = []
    if milestone and not values.get("relation") and values.get("window") != "before_milestone":
        values["relation"] = "linked"
    use_topic = topic if (reading.topic_cue or not (person or team or milestone)) else None
    strong_open = re.search(r"\b(?:open|pending|outstanding|unresolved|undecided|left)\b", question.lower())
    if lex.SPEECH.search(question.lower()) and not kinds:
        return IntentCandidate(
            about_records=False, topic=topic, wants_reasons=bool(values.get("wants_reasons"))
        )
    about = bool(
        kinds
        or person
        or team
        or milestone
        or records
        or any(
            values.get(k)
            for k in ("count", "window", "older_than_days", "stale_days", "severity", "critical_path")
        )
        or (values.get("relation") and topic)
        or (values.get("asks_owner") and topic)  # "who owns phishing-resistant MFA?": owned records
        or any(s not in ("open", "any") for s in states)
        or strong_open
    )
    return IntentCandidate(
        about_records=about,
        kinds=kinds,
        states=states,
        person=person.said if person else None,
        team=team.ids[0] if team else None,
        milestone=milestone.ids[0] if milestone else None,
        records=records,
        topic=use_topic,
        **{k: v for k, v in values.items() if k in IntentCandidate.model_fields},
    )


def normalise_intent(intent: IntentCandidate, vocab: Vocabulary) -> IntentCandidate:
    """An LLM's reading, with its team and milestone as written resolved to the program's ids."""
    updates: dict[str, object] = {}
    if intent.team:
        said = re.sub(r"\s*\([^)]*\)|^the\s+|\s+team$", "", intent.team.strip().lower())
        updates["team"] = vocab.teams.get(" ".join(re.findall(r"[a-z0-9@._'+-]+", said)), intent.team)
    if intent.milestone and intent.milestone.lower() != "next":
        _, mentions = find_mentions(intent.milestone, vocab)
        found = next((m for m in mentions if m.kind == "milestone"), None)
        updates["milestone"] = found.ids[0] if found else intent.milestone
    if intent.records:
        refs = []
        for said in intent.records:
            _, mentions = find_mentions(said, vocab)
            refs += [m.ids[0] for m in mentions if m.kind == "record"] or [said]
        updates["records"] = refs
    return intent.model_copy(update=updates)
