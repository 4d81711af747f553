"""Answers to questions about a program, with the citations that back them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pilot.domain.findings import Finding


class Citation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document_key: str | None = None  # a retrieved document, or None for a program record
    record_ref: str | None = None  # "raid:R-001" when the answer comes from program data
    title: str = ""
    quote: str
    url: str | None = None
    turn: int | None = None
    verified: bool = False  # the quote was found in what was retrieved (or is the record's own text)


class AnswerRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    record_ref: str
    text: str


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    program_id: str
    question: str
    kind: Literal["structured", "retrieval"]
    engine: Literal["offline", "llm"] = "offline"
    text: str
    rows: list[AnswerRow] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    intent: dict[str, Any] | None = None
    findings: list[Finding] = Field(default_factory=list)


class CitedAnswer(BaseModel):
    """What the LLM returns for an open question (structured output)."""

    model_config = ConfigDict(extra="forbid")

    answer: str = Field(description="A short answer using only the passages.")
    citations: list[CitedQuote] = Field(description="The passages the answer relies on.")


class CitedQuote(BaseModel):
    model_config = ConfigDict(extra="forbid")

    passage: int = Field(description="The number of the passage quoted, as given in the prompt.")
    quote: str = Field(description="An exact quote from that passage.")


CitedAnswer.model_rebuild()


class IntentCandidate(BaseModel):
    """The LLM's reading of a question as a structured query (structured output)."""

    model_config = ConfigDict(extra="forbid")

    record: Literal["risks", "issues", "decisions", "milestones", "dependencies", "actions"] | None = Field(
        description="Which records the question is about; null for an open question."
    )
    owner: str | None = Field(default=None, description="A person's name as written in the question.")
    status: Literal["open", "pending", "late", "overdue", "at_risk", "done", "any"] = "any"
    older_than_days: int | None = Field(default=None, ge=0, le=3650)
    due_within_days: int | None = Field(default=None, ge=0, le=3650)
