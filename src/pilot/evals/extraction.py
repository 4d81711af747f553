"""The fixed scoring of the extraction eval (issue 4), kept apart so every run scores the same way.

Per meeting and type: embed gold and predicted sentences with MiniLM (normalized), assign them one to
one by maximum total cosine (Hungarian), count an assigned pair when its cosine is at least 0.6.
Micro precision, recall and F1 per type over meetings; macro F1 over the three types.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pilot.domain.drafts import DraftKind
from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.usage import TokenUsage
from pilot.evals.ami import GOLD_TYPES, load_split, meeting_document, read_all_gold, template_predictions
from pilot.pipeline.extract_grounding import ExtractionResult, extract
from pilot.pipeline.llm import Extractor
from pilot.pipeline.search import Embedder, reference_embedder
from pilot.settings import get_settings

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
    rows, cols = _hungarian()(similarity, maximize=True)
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


def _hungarian() -> Any:
    """scipy's assignment solver: an `evals` extra, not a runtime dependency of pilot."""
    try:
        from scipy.optimize import linear_sum_assignment
    except ImportError as exc:  # pragma: no cover - the dev and eval installs have it
        raise PilotError(
            ErrorCode.CONFIGURATION, "the extraction eval needs scipy: pip install 'pilot[evals]'"
        ) from exc
    return linear_sum_assignment


# --- the eval run -----------------------------------------------------------------------------------


def predictions_of(result: ExtractionResult) -> dict[str, list[str]]:
    """Draft lines as pilot shows them, in the gold's three types (risks/issues and open questions are problems)."""
    return {
        "actions": [d.text for d in result.of_kind(DraftKind.ACTION_ITEM)],
        "decisions": [d.text for d in result.of_kind(DraftKind.DECISION)],
        "problems": [d.text for d in result.of_kind(DraftKind.RAID)]
        + [d.text for d in result.of_kind(DraftKind.QUESTION)],
    }


def default_engine() -> Extractor:
    """The engine `pilot extract` runs (LLM when `PILOT_LLM_*` is configured, else offline), built
    by the same pipeline function from this process's settings."""
    from pilot.pipeline.extract import default_engine as pipeline_engine

    return pipeline_engine(get_settings())


def _report(totals: dict[str, TypeCounts]) -> dict[str, object]:
    return {kind: counts.as_dict() for kind, counts in totals.items()} | {
        "macro_f1": round(macro_f1(totals), 4)
    }


def run_extraction_eval(
    data_dir: Path,
    split: str,
    *,
    engine: Extractor | None = None,
    embedder: Embedder | None = None,
    predictions_out: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, object]:
    """Extract from every AMI meeting of the split and score against the abstractive gold."""
    meetings = load_split(data_dir, split)
    if not meetings:
        raise PilotError(
            ErrorCode.INVALID_INPUT, f"no AMI meetings with gold in split {split!r} under {data_dir}"
        )
    engine = engine or default_engine()
    vectors = SentenceVectors(embedder or reference_embedder())
    gold = {m.meeting_id: m.gold for m in meetings}
    predictions: dict[str, dict[str, list[str]]] = {}
    usage = TokenUsage()
    failures = 0
    provenance: dict[str, object] = {}
    for meeting in meetings:
        if progress:
            progress(meeting.meeting_id)
        result = extract(meeting_document(meeting), engine=engine)
        predictions[meeting.meeting_id] = predictions_of(result)
        usage = usage.plus(result.usage)
        failures += len(result.failures)
        provenance = result.provenance.model_dump(exclude={"source_document_ids"})
    if predictions_out is not None:
        predictions_out.mkdir(parents=True, exist_ok=True)
        for meeting_id, items in predictions.items():
            (predictions_out / f"{meeting_id}.json").write_text(
                json.dumps(items, indent=2, ensure_ascii=False) + "\n"
            )
    totals = score_predictions(gold, predictions, vectors, GOLD_TYPES)
    template = TypeCounts()
    all_gold = read_all_gold(data_dir)
    for meeting in meetings:
        for _, sentences in template_predictions(meeting, all_gold):
            template.add(match_counts(meeting.gold["actions"], sentences, vectors))
    notes = score_predictions(
        gold, {m.meeting_id: m.participant_notes for m in meetings}, vectors, GOLD_TYPES
    )
    return {
        "suite": "extraction",
        "split": split,
        "meetings": len(meetings),
        "engine": provenance,
        "scoring": {
            "embedder": "all-MiniLM-L6-v2 (normalized)",
            "assignment": "hungarian",
            "threshold": MATCH_THRESHOLD,
        },
        "scores": _report(totals),
        "template_baseline": {
            "actions": template.as_dict(),
            "note": "other teams' gold actions for the same meeting phase, every other team, micro-averaged",
        },
        "actions_margin_over_template": round(totals["actions"].f1 - template.f1, 4),
        "participant_notes": _report(notes),
        "usage": usage.model_dump(),
        "chunk_failures": failures,
    }
