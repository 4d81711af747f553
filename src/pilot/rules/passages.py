"""Extractive answers from retrieved passages, offline. Pure.

Retrieval ranks chunks by meaning and keywords; a question also says what kind of text holds its
answer: "who" wants people, "when" dates and times, "how many" numbers. Candidates are re-ranked
by their retrieval score plus how much of that kind of text they hold, packed into citations
without repeating a turn, and the answer sentence is the one that shares most with the question.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pilot.rules.intents import QuestionType, question_type

_PERSON = re.compile(
    r"\[(?:PERSON|ORGANIZATION|PROJECT)\d+\]|\b(?:PERSON|ORGANIZATION)\d+\b|(?<=[a-z,] )[A-Z][a-z]+\b"
)
_TIME = re.compile(
    r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|tomorrow|yesterday|tonight|weeks?|months?|"
    r"year|deadline|morning|afternoon|evening|o'clock|am|pm|january|february|march|april|may|june|july|august|"
    r"september|october|november|december|next|until|by the end|\d{1,2}[:.]\d{2}|\d{4}(?:-\d{2}-\d{2})?)\b",
    re.I,
)
_NUMBER = re.compile(
    r"\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|hundred|thousand|"
    r"couple|dozen|several|half)\b",
    re.I,
)
_DENSITY = {"who": (_PERSON, 12.0), "when": (_TIME, 15.0), "howmany": (_NUMBER, 15.0)}
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_STOP = frozenset(
    "a an the and or but of to in on at by for with from as is are was were be been it its this that these those "
    "there their they we our you your i me my not no do does did will would can could should have has had so if "
    "then than also about into what who when where which how many much whom whose".split()
)
# What a sentence that settles something or gives a reason sounds like.
_DECIDED = re.compile(
    r"\b(?:agreed|decided|decision|settled|stays?|we(?:'ll| will) (?:go|keep|hold|move)|go with|"
    r"final|confirmed|approved)\b",
    re.I,
)
_REASON = re.compile(r"\b(?:because|since|so that|otherwise|the reason|due to|risk|unless|if)\b", re.I)
_ASKS_DECISION = re.compile(
    r"\b(?:decide[ds]?|decision|agree[ds]?|settle[ds]?|land(?:ed)? on|conclu\w+)\b", re.I
)
MIN_WORDS = 3  # shorter turns are left out of the cited passages (ELITR dev)
# Fused-rank score weight against the answer-type bonus (ELITR dev, see README).
TYPE_WEIGHT = 5.0


@dataclass(frozen=True)
class Candidate:
    key: str  # the chunk
    document: str  # its document: overlapping chunks of one document share turns
    text: str
    score: float  # the retriever's fused score
    turn_first: int | None = None
    turn_last: int | None = None


def answer_type_bonus(kind: QuestionType, text: str) -> float:
    """How much a passage looks like it holds the kind of answer asked for (0..1)."""
    pattern, weight = _DENSITY.get(kind, (None, 0.0))
    if pattern is None:
        return 0.0
    return min(1.0, weight * len(pattern.findall(text)) / max(1, len(text.split())))


def rank_passages(
    question: str, candidates: Sequence[Candidate], budget_words: int
) -> list[tuple[Candidate, str]]:
    """Candidates re-ranked for the question, each with its text less the turns already cited,
    until `budget_words` words are cited."""
    kind = question_type(question)
    ranked = sorted(
        enumerate(candidates),
        key=lambda p: (-(p[1].score * TYPE_WEIGHT + answer_type_bonus(kind, p[1].text)), p[0]),
    )
    seen: set[tuple[str, int | str, str]] = set()
    packed: list[tuple[Candidate, str]] = []
    words = 0
    for _, candidate in ranked:
        kept = []
        for offset, line in enumerate(candidate.text.split("\n")):
            turn = candidate.turn_first + offset if candidate.turn_first is not None else line
            if candidate.turn_last is not None and isinstance(turn, int):
                turn = min(turn, candidate.turn_last)
            said = line.partition(": ")[2] if ": " in line[:40] else line
            if len(said.split()) < MIN_WORDS:
                continue  # "Yeah." and "Okay." carry no answer and cost the reader a line
            if (candidate.document, turn, line) not in seen:  # a long turn is split into lines of one index
                seen.add((candidate.document, turn, line))
                kept.append(line)
        if kept:
            packed.append((candidate, "\n".join(kept)))
            words += sum(len(line.split()) for line in kept)
        if words >= budget_words:
            break
    return packed


def best_sentences(question: str, passages: Sequence[str], limit: int = 2) -> list[str]:
    """The sentences (with their speaker) that share most content words with the question."""
    wanted = {w for w in re.findall(r"[a-z0-9]+", question.lower()) if w not in _STOP}
    kind = question_type(question)
    cues = [
        c
        for c, asked in (
            (_DECIDED, _ASKS_DECISION.search(question)),
            (_REASON, re.search(r"\bwhy\b", question, re.I)),
        )
        if asked
    ]
    scored: list[tuple[float, int, str]] = []
    order = 0
    for rank, passage in enumerate(passages[:4]):
        for line in passage.split("\n"):
            speaker, _, said = line.partition(": ") if ": " in line[:40] else ("", "", line)
            for sentence in _SENTENCE.split(said):
                words = set(re.findall(r"[a-z0-9]+", sentence.lower()))
                if len(words) < 3:
                    continue
                overlap = len(wanted & words) / max(1, len(wanted))
                score = overlap + 0.3 * answer_type_bonus(kind, sentence) - 0.05 * rank
                score += sum(0.4 for cue in cues if cue.search(sentence))
                scored.append((score, order, f"{speaker}: {sentence}" if speaker else sentence))
                order += 1
    best = sorted(scored, key=lambda s: (-s[0], s[1]))[:limit]
    return [text for _, _, text in sorted(best, key=lambda s: s[1])]
