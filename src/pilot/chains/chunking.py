"""Split long transcripts on speaker turns with overlap (map), and merge what the chunks produced (reduce).

A chunk never cuts a turn. Consecutive chunks share their last/first turns (up to an overlap
budget) so a commitment said across the boundary is seen whole at least once; the merge step then
makes one item of the near-duplicates an overlap produces, keeping the best evidence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import TypeVar

from pilot.chains.schema import (
    ActionCandidate,
    Candidate,
    DecisionCandidate,
    ExtractionOutput,
    QuestionCandidate,
    RaidCandidate,
)
from pilot.domain.documents import Turn


def estimate_tokens(text: str) -> int:
    """About four characters per token for English; close enough to stay under a context budget."""
    return len(text) // 4 + 4


@dataclass(frozen=True)
class TurnChunk:
    number: int  # 1-based
    turns: tuple[Turn, ...]

    @property
    def first_index(self) -> int:
        return self.turns[0].index

    @property
    def last_index(self) -> int:
        return self.turns[-1].index


def chunk_turns(
    turns: Sequence[Turn], *, max_tokens: int = 6000, overlap_tokens: int = 400
) -> list[TurnChunk]:
    """Greedy chunks of whole turns under `max_tokens`, each starting with ~`overlap_tokens` of the previous."""
    if max_tokens <= overlap_tokens:
        raise ValueError("max_tokens must exceed overlap_tokens")
    chunks: list[TurnChunk] = []
    start = 0
    while start < len(turns):
        size = 0
        end = start
        while end < len(turns):
            cost = estimate_tokens(turns[end].text)
            if end > start and size + cost > max_tokens:
                break
            size += cost
            end += 1
        chunks.append(TurnChunk(number=len(chunks) + 1, turns=tuple(turns[start:end])))
        if end >= len(turns):
            break
        # Step back over whole turns worth at most `overlap_tokens`, but always move forward.
        back = end
        overlap = 0
        while back - 1 > start and overlap + estimate_tokens(turns[back - 1].text) <= overlap_tokens:
            back -= 1
            overlap += estimate_tokens(turns[back].text)
        start = back if back > start else end
    return chunks


_WORD = re.compile(r"[a-z0-9]+")


def _norm(text: str | None) -> str:
    return " ".join(_WORD.findall((text or "").lower()))


def similar(a: str | None, b: str | None, threshold: float = 0.8) -> bool:
    """Same words in nearly the same order (difflib ratio), or one contained in the other."""
    left, right = _norm(a), _norm(b)
    if not left or not right:
        return False
    if left == right or (min(len(left), len(right)) >= 12 and (left in right or right in left)):
        return True
    return SequenceMatcher(None, left, right).ratio() >= threshold


C = TypeVar("C", bound=Candidate)
# How good an item's evidence is; the higher, the better (see `evidence_rank`).
EvidenceRank = Callable[[str, int | None], tuple[int, ...]]


def evidence_rank(turns: Sequence[Turn]) -> EvidenceRank:
    """Rank a quote by where it is found: in the turn it names, in another turn, nowhere; then by
    length (a longer verbatim quote says more)."""
    by_index = {turn.index: _norm(turn.text) for turn in turns}

    def rank(quote: str, turn_index: int | None) -> tuple[int, ...]:
        wanted = _norm(quote)
        in_named = bool(wanted) and turn_index is not None and wanted in by_index.get(turn_index, "")
        anywhere = in_named or (bool(wanted) and any(wanted in text for text in by_index.values()))
        return (int(in_named), int(anywhere), int(turn_index is not None), len(wanted))

    return rank


def _plain_rank(quote: str, turn_index: int | None) -> tuple[int, ...]:
    return (int(turn_index is not None), len(_norm(quote)))


def _merge_same(items: Sequence[C], same: Callable[[C, C], bool], rank: EvidenceRank) -> list[C]:
    """Near-duplicates become one item: the one with the best evidence, with the fields it left
    empty (owner, due, ...) taken from the others. Order of first appearance is kept."""
    kept: list[C] = []
    for item in items:
        index = next((i for i, other in enumerate(kept) if same(item, other)), None)
        if index is None:
            kept.append(item)
            continue
        other = kept[index]
        best, rest = (item, other) if _rank_of(item, rank) > _rank_of(other, rank) else (other, item)
        filled = {
            name: getattr(rest, name)
            for name in type(best).model_fields
            if getattr(best, name) is None and getattr(rest, name) is not None
        }
        kept[index] = best.model_copy(update=filled) if filled else best
    return kept


def _rank_of(item: Candidate, rank: EvidenceRank) -> tuple[int, ...]:
    return rank(str(getattr(item, "evidence_quote", "")), getattr(item, "turn_index", None))


def _same_owner(a: str | None, b: str | None) -> bool:
    return a is None or b is None or _norm(a) == _norm(b)


def _same_action(a: ActionCandidate, b: ActionCandidate) -> bool:
    same_place = a.turn_index is not None and a.turn_index == b.turn_index
    return _same_owner(a.owner, b.owner) and (
        similar(a.task, b.task) or (same_place and similar(a.evidence_quote, b.evidence_quote, 0.6))
    )


def _same_decision(a: DecisionCandidate, b: DecisionCandidate) -> bool:
    return similar(a.what, b.what) or similar(a.evidence_quote, b.evidence_quote, 0.9)


def _same_raid(a: RaidCandidate, b: RaidCandidate) -> bool:
    return a.kind == b.kind and (
        similar(a.title, b.title) or similar(a.evidence_quote, b.evidence_quote, 0.9)
    )


def _same_question(a: QuestionCandidate, b: QuestionCandidate) -> bool:
    return similar(a.question, b.question) or similar(a.evidence_quote, b.evidence_quote, 0.9)


def merge_outputs(
    outputs: Sequence[ExtractionOutput], turns: Sequence[Turn] | None = None
) -> ExtractionOutput:
    """The reduce step: chunk outputs in order, near-duplicates from overlapping chunks merged into
    one item that keeps the best evidence (checked against `turns` when given)."""
    rank = evidence_rank(turns) if turns is not None else _plain_rank
    return ExtractionOutput(
        action_items=_merge_same([a for o in outputs for a in o.action_items], _same_action, rank),
        decisions=_merge_same([d for o in outputs for d in o.decisions], _same_decision, rank),
        raid=_merge_same([r for o in outputs for r in o.raid], _same_raid, rank),
        open_questions=_merge_same([q for o in outputs for q in o.open_questions], _same_question, rank),
    )
