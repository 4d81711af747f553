"""How sure extraction is of a draft, and the one rule that turns a "decision" into a question.

The engine's confidence (the offline engine scores every candidate; an LLM gives none and starts
at 0.7) is lowered for what grounding could not settle: a quote not found in the transcript, an
action without a resolved owner or a due date. An open question is at most a proposed item.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pilot.chains.engine import ChainRun
from pilot.chains.schema import DecisionCandidate, QuestionCandidate
from pilot.domain.drafts import ActionItemDraft, OwnerResolution, QuestionDraft

if TYPE_CHECKING:
    from pilot.pipeline.extract_grounding import DraftPayload


def is_question_text(text: str) -> bool:
    """A question as said: ends with a question mark (a tag like ", right?" does not count)."""
    stripped = text.strip().rstrip("\"'” )")
    if not stripped.endswith("?"):
        return False
    return not re.search(r",\s*(?:right|yeah|no|okay|ok|correct)\?$", stripped, re.I)


def decision_as_question(c: DecisionCandidate) -> QuestionCandidate | None:
    """A "decision" whose evidence or text is a question is at most an open question."""
    if is_question_text(c.evidence_quote) or is_question_text(c.what):
        question = c.what if c.what.strip().endswith("?") else c.evidence_quote
        return QuestionCandidate(
            question=question, raised_by=None, evidence_quote=c.evidence_quote, turn_index=c.turn_index
        )
    return None


def confidences(run: ChainRun, field: str, count: int) -> list[float | None]:
    given = run.confidence.get(field, [])
    return [given[i] if i < len(given) else None for i in range(count)]


def grounded_confidence(engine: float | None, payload: DraftPayload) -> float:
    """The engine's confidence (0.7 when it gives none), lowered for what grounding could not
    settle: a quote not found in the transcript, an action without a resolved owner or a date."""
    value = 0.7 if engine is None else engine
    evidence = getattr(payload, "evidence", None)
    if evidence is None or not evidence.verified:
        value *= 0.6
    if isinstance(payload, ActionItemDraft):
        if payload.owner_resolution != OwnerResolution.RESOLVED:
            value -= 0.05
        if payload.due is None:
            value -= 0.05
    if isinstance(payload, QuestionDraft):
        value = min(value, 0.6)  # at most a proposed item
    return round(min(1.0, max(0.0, value)), 3)
