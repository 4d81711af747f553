"""What an extraction engine returns for one chunk of a transcript, before any grounding.

These are LLM output shapes: extra fields are an error, and every field is required (nullable where
a value may be absent) so the schema also works in OpenAI's strict structured-output mode. The
offline engine returns the same shapes, so both engines share merging, grounding and checks.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Candidate(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ActionCandidate(Candidate):
    task: str = Field(description="What will be done, phrased as a task starting with a verb.")
    owner: str | None = Field(description="Who will do it, exactly as said (a name, 'I', 'you', 'we').")
    due: str | None = Field(description="When it is due, exactly as said ('by Friday'), or null.")
    evidence_quote: str = Field(description="A short verbatim quote from the transcript that says it.")
    turn_index: int | None = Field(
        description="Index of the turn holding the quote, as numbered in the transcript."
    )


class DecisionCandidate(Candidate):
    what: str = Field(description="The decision as one self-contained sentence.")
    decided_by: str | None = Field(description="Who decided, as said, or null.")
    rationale: str | None = Field(description="Why, when stated, or null.")
    evidence_quote: str
    turn_index: int | None


class RaidCandidate(Candidate):
    kind: Literal["risk", "assumption", "issue", "dependency"]
    title: str = Field(description="A short title.")
    description: str = Field(
        description="One or two sentences: what could happen or is happening, and its effect."
    )
    owner: str | None
    probability: int | None = Field(description="1-5 only when the speakers state a likelihood, else null.")
    impact: int | None = Field(description="1-5 only when the speakers state the impact, else null.")
    evidence_quote: str
    turn_index: int | None


class QuestionCandidate(Candidate):
    question: str = Field(description="An open question that needs a decision, as a question.")
    raised_by: str | None
    evidence_quote: str
    turn_index: int | None


class ExtractionOutput(Candidate):
    """Everything found in one chunk. Empty lists are fine: say nothing rather than invent."""

    action_items: list[ActionCandidate]
    decisions: list[DecisionCandidate]
    raid: list[RaidCandidate]
    open_questions: list[QuestionCandidate]

    @classmethod
    def empty(cls) -> ExtractionOutput:
        return cls(action_items=[], decisions=[], raid=[], open_questions=[])
