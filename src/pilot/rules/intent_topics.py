"""Which records a topic ("the PCI risk", "about the cutover date") is about. Pure.

Topic words match whole words, case-insensitively, with a plural folded ("loops" = "loop"). A
record scores by how many topic words it holds and where: its title (or question, deliverable,
task) counts fully, its description, options or criteria half, the name of the milestone it is
linked to a quarter; rarer words weigh more. The records with the best score are the topic's,
so "the HSM risk" is the risk titled with HSM, not one that mentions it in passing.
The head of a compound ("payments-ledger") weighs double. The word "date" matches a title that
holds a date.

A topic is about a record only when the record holds its distinctive words: the words a record
holds must carry at least half the topic's weight, where a word the program never uses weighs as
much as its rarest word (it is what the question is about, and no record has it). So "data
residency" in a program that never says "residency" matches nothing, even though "data" is
everywhere; "the cutover date" matches the record that holds both. Adverbs the program never uses
("finally", "currently") are phrasing, not topic.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from pilot.rules.record_views import RecordView

_DATE = re.compile(
    r"\b\d{4}-\d{2}-\d{2}\b|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b",
    re.I,
)
_DATE_WORDS = frozenset({"date", "dates", "day", "when", "timing"})
_WEIGHTS = (1.0, 0.5, 0.25)


def words_of(text: str) -> set[str]:
    return {_fold(w) for w in re.findall(r"[a-z0-9]+(?:[+.][a-z0-9]+)*", text.lower())}


def _fold(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def match_topic(
    topic: str, universe: Sequence[RecordView], *, all_views: Sequence[RecordView]
) -> tuple[tuple[str, ...], set[str] | None]:
    """The topic words used and the references of the records it is about (None: no topic)."""
    asked = list(dict.fromkeys(_fold(w) for w in re.findall(r"[a-z0-9]+(?:[+.][a-z0-9]+)*", topic.lower())))
    # The head of a compound ("payments-ledger" is a ledger) weighs more than its modifiers.
    heads = {_fold(m.group(1)) for m in re.finditer(r"[a-z0-9]+-([a-z0-9]+)\b", topic.lower())}
    if not asked:
        return (), None
    names = {v.id: v.title for v in all_views if v.kind == "milestone"}
    fields = {v.ref: _fields(v, names) for v in all_views}
    frequency: dict[str, int] = {}
    for texts in fields.values():
        for word in set().union(*texts):
            frequency[word] = frequency.get(word, 0) + 1

    def used(word: str) -> bool:
        return bool(frequency.get(word) or (word in _DATE_WORDS and frequency.get("⟨date⟩")))

    asked = [w for w in asked if used(w) or not (w.endswith("ly") and len(w) > 4)]
    known = [w for w in asked if used(w)]
    if not known:
        return tuple(asked), set()
    total = max(1, len(fields))
    rarest = math.log(1 + total)
    unknown_weight = rarest * (len(asked) - len(known))

    def idf(word: str) -> float:
        key = "⟨date⟩" if word in _DATE_WORDS else word
        return math.log(1 + total / frequency.get(key, 1)) * (2.0 if word in heads else 1.0)

    asked_weight = sum(idf(w) for w in known) + unknown_weight
    best: tuple[int, float] = (0, 0.0)
    scores: dict[str, tuple[int, float]] = {}
    for view in universe:
        texts = fields[view.ref]
        covered, score, held = 0, 0.0, 0.0
        for word in known:
            key = "⟨date⟩" if word in _DATE_WORDS else word
            weight = next((w for w, text in zip(_WEIGHTS, texts, strict=True) if key in text), 0.0)
            if weight:
                covered += 1
                score += weight * idf(word)
                held += idf(word)
        if held * 2 < asked_weight:  # the record lacks what the topic is about
            covered, score = 0, 0.0
        scores[view.ref] = (covered, round(score, 6))
        best = max(best, scores[view.ref])
    if best[0] == 0:
        return tuple(asked), set()  # "none about data residency", as asked
    return tuple(known), {ref for ref, value in scores.items() if value == best}


def _fields(view: RecordView, milestone_names: dict[str, str]) -> tuple[set[str], set[str], set[str]]:
    title = words_of(view.title)
    if _DATE.search(view.title):
        title.add("⟨date⟩")
    linked = words_of(milestone_names.get(view.milestone or "", ""))
    return title, words_of(view.secondary) - title, linked - title
