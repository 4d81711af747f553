"""The fixed scoring of the extraction eval (issue 4), kept apart so every run scores the same way.

Per meeting and type: embed gold and predicted sentences with MiniLM (normalized), assign them one to
one by maximum total cosine (Hungarian), count an assigned pair when its cosine is at least 0.6.
Micro precision, recall and F1 per type over meetings; macro F1 over the three types.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from pilot.chains.embedding import Embedder

MATCH_THRESHOLD = 0.6


@dataclass
class TypeCounts:
    matched: int = 0
    predicted: int = 0
    gold: int = 0

    def add(self, other: TypeCounts) -> None:
        self.matched += other.matched
        self.predicted += other.predicted
        self.gold += other.gold

    @property
    def precision(self) -> float:
        return self.matched / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.matched / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "matched": self.matched,
            "predicted": self.predicted,
            "gold": self.gold,
        }


class SentenceVectors:
    """Embeds each distinct sentence once per run (gold sentences repeat across baselines)."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder
        self._cache: dict[str, np.ndarray] = {}

    def prefetch(self, texts: Iterable[str]) -> None:
        missing = sorted({t for t in texts if t not in self._cache})
        if missing:
            for text, vector in zip(missing, self._embedder(missing), strict=True):
                self._cache[text] = vector

    def matrix(self, texts: Sequence[str]) -> np.ndarray:
        self.prefetch(texts)
        return np.stack([self._cache[t] for t in texts]) if texts else np.zeros((0, 384), np.float32)


def match_counts(gold: Sequence[str], predicted: Sequence[str], vectors: SentenceVectors) -> TypeCounts:
    """One meeting, one type: Hungarian assignment on cosine, pairs at or above the threshold count."""
    counts = TypeCounts(predicted=len(predicted), gold=len(gold))
    if not gold or not predicted:
        return counts
    similarity = vectors.matrix(list(gold)) @ vectors.matrix(list(predicted)).T
    rows, cols = linear_sum_assignment(similarity, maximize=True)
    counts.matched = int((similarity[rows, cols] >= MATCH_THRESHOLD).sum())
    return counts


def score_predictions(
    gold: dict[str, dict[str, list[str]]],
    predictions: dict[str, dict[str, list[str]]],
    vectors: SentenceVectors,
    types: Sequence[str],
) -> dict[str, TypeCounts]:
    """Micro counts per type over the meetings of `gold`; a meeting missing from predictions predicts nothing."""
    totals = {kind: TypeCounts() for kind in types}
    vectors.prefetch(s for meeting in gold.values() for kind in types for s in meeting.get(kind, []))
    vectors.prefetch(s for meeting in predictions.values() for kind in types for s in meeting.get(kind, []))
    for meeting_id, meeting_gold in gold.items():
        meeting_pred = predictions.get(meeting_id, {})
        for kind in types:
            totals[kind].add(match_counts(meeting_gold.get(kind, []), meeting_pred.get(kind, []), vectors))
    return totals


def macro_f1(totals: dict[str, TypeCounts]) -> float:
    return sum(c.f1 for c in totals.values()) / len(totals) if totals else 0.0
