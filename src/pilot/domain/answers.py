"""Answers to questions about a program, with the records and citations that back them.

An answer has two parts a reader can tell apart: `rows` come from the program's records (each
row one record, linked by its reference), `citations` come from retrieved documents (each with a
quote checked against what was retrieved). `as_of` is the date the answer was computed for.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pilot.domain.findings import Finding
from pilot.domain.urls import LinkUrl

RecordKind = Literal[
    "risk",
    "issue",
    "assumption",
    "raid",
    "decision",
    "milestone",
    "dependency",
    "action",
    "readiness",
    "corrective",
    "incident",
    "change",
]
StateWord = Literal[
    "open", "overdue", "late", "slipped", "at_risk", "blocked", "done", "decided", "stale", "any"
]
Relation = Literal["blocking", "threatening", "linked"]
Window = Literal["next", "last", "this_week", "next_week", "before_milestone"]


class Citation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document_key: str | None = None  # a retrieved document, or None for a program record
    record_ref: str | None = None  # "raid:R-001" when the answer comes from program data
    title: str = ""
    quote: str
    url: LinkUrl = None  # http(s) only; anything else is dropped
    turn: int | None = None
    verified: bool = False  # the quote was found in what was retrieved (or is the record's own text)


class AnswerRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    record_ref: str
    text: str
    reading: str | None = None  # which reading of an ambiguous name this row belongs to


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    program_id: str
    question: str
    kind: Literal["structured", "retrieval", "mixed"]
    engine: Literal["offline", "llm"] = "offline"
    text: str
    as_of: date | None = None
    rows: list[AnswerRow] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    # Where each part came from: "records" for rows, "documents" for citations.
    sources: list[Literal["records", "documents"]] = Field(default_factory=list)
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
    """A question read as a query over program records: what the deterministic parser produces and
    what the LLM returns as structured output. Names, teams and milestones are as written in the
    question; the query resolves them against the program."""

    model_config = ConfigDict(extra="forbid")

    about_records: bool = Field(
        default=True, description="False for an open question that program records cannot answer."
    )
    kinds: list[RecordKind] = Field(
        default_factory=list, description="Record kinds asked about; empty means every kind that fits."
    )
    states: list[StateWord] = Field(
        default_factory=list,
        description="State words: open (also pending, outstanding), overdue (past its due or needed-by "
        "date), late, slipped (forecast after target), at_risk, blocked, done, decided, stale (no "
        "progress). Several mean any of them.",
    )
    person: str | None = Field(
        default=None, description="A person as written: name, alias, handle or e-mail."
    )
    asks_owner: bool = Field(default=False, description="The question asks who owns something.")
    team: str | None = Field(default=None, description="A team as written, e.g. in 'waiting on <team>'.")
    milestone: str | None = Field(
        default=None, description="A milestone id or name as written, or 'next' for the next milestone."
    )
    records: list[str] = Field(
        default_factory=list, description="Record references named in the question, e.g. 'raid:R-009'."
    )
    relation: Relation | None = Field(
        default=None,
        description="blocking: what blocks the milestone; threatening: what puts it at risk; linked: "
        "records linked to it.",
    )
    window: Window | None = Field(default=None, description="A time window on the records' own dates.")
    window_days: int | None = Field(default=None, ge=0, le=3650)
    older_than_days: int | None = Field(default=None, ge=0, le=3650, description="Age since opened.")
    stale_days: int | None = Field(default=None, ge=0, le=3650, description="No progress for this long.")
    topic: str | None = Field(default=None, description="What the records are about, e.g. 'cutover date'.")
    severity: int | None = Field(default=None, ge=1, le=5)
    critical_path: bool = False
    count: bool = Field(default=False, description="The question asks how many.")
    wants_reasons: bool = Field(
        default=False, description="The question also asks why (answer from documents)."
    )
