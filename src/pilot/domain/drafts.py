"""Drafts: what a chain (LLM or offline engine) proposes and a human approves.

The `*Candidate` models are LLM output shapes and forbid extra fields. The grounded drafts add
what pilot resolved deterministically afterwards (owner id, normalized date, evidence location).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pilot.domain.findings import Finding
from pilot.domain.program import RaidKind
from pilot.domain.usage import TokenUsage


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OwnerResolution(StrEnum):
    RESOLVED = "resolved"
    AMBIGUOUS = "ambiguous"
    UNKNOWN = "unknown"
    MISSING = "missing"


class Evidence(Strict):
    quote: str
    turn_index: int | None = None
    speaker: str | None = None
    timestamp: float | None = None  # seconds from the start of the meeting
    verified: bool = False  # the quote was found in the source (fuzzy)


class ActionItemDraft(Strict):
    task: str = Field(min_length=1)
    owner_text: str | None = None  # as said in the meeting
    owner_id: str | None = None
    owner_resolution: OwnerResolution = OwnerResolution.MISSING
    owner_candidates: list[str] = Field(default_factory=list)
    due_text: str | None = None  # as said
    due: date | None = None
    milestone: str | None = None
    evidence: Evidence | None = None
    confidence: float | None = Field(default=None, ge=0, le=1)  # how sure extraction is; None: not scored


class DecisionDraft(Strict):
    what: str = Field(min_length=1)
    decided_by_text: str | None = None
    decided_by_id: str | None = None
    rationale: str | None = None
    evidence: Evidence | None = None
    confidence: float | None = Field(default=None, ge=0, le=1)


class RaidDraft(Strict):
    kind: RaidKind
    title: str = Field(min_length=1)
    description: str = ""
    owner_text: str | None = None
    owner_id: str | None = None
    owner_resolution: OwnerResolution = OwnerResolution.MISSING
    owner_candidates: list[str] = Field(default_factory=list)
    probability: int | None = Field(default=None, ge=1, le=5)
    impact: int | None = Field(default=None, ge=1, le=5)
    mitigation: str | None = None
    milestone: str | None = None
    evidence: Evidence | None = None
    confidence: float | None = Field(default=None, ge=0, le=1)


class QuestionDraft(Strict):
    """An open question. Approved as drafted it records nothing in the decision log: a reviewer
    edits in `outcome` (a decided decision) or sets `pending_decision` (a decision to be made)."""

    question: str = Field(min_length=1)
    raised_by_text: str | None = None
    evidence: Evidence | None = None
    confidence: float | None = Field(default=None, ge=0, le=1)
    outcome: str | None = None  # filled in by a reviewer: approving records the decision
    pending_decision: bool = False  # set by a reviewer: approving records a pending decision


class DraftKind(StrEnum):
    ACTION_ITEM = "action_item"
    DECISION = "decision"
    RAID = "raid"
    QUESTION = "question"
    STATUS_UPDATE = "status_update"
    ARTIFACT = "artifact"  # charter, readiness checklist, cutover plan, RAID export (domain.artifacts)


class DraftStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    FAILED = "failed"
    SUPERSEDED = "superseded"  # a newer draft of the same status update replaced it, unreviewed


class Provenance(Strict):
    """Which engine, prompt and model made a draft, from which documents."""

    engine: Literal["offline", "llm"]
    model: str | None = None
    prompt_name: str | None = None
    prompt_version: str | None = None
    prompt_hash: str | None = None
    source_document_ids: list[str] = Field(default_factory=list)
    # The LLM call that wrote this draft (for a transcript: the call that read its evidence).
    usage: TokenUsage | None = None


class DraftContext(Strict):
    """What a draft check needs besides the draft and the program: when and what was said."""

    meeting_date: date | None = None
    timezone: str = "UTC"
    source_text: str | None = None


DraftPayload = ActionItemDraft | DecisionDraft | RaidDraft | QuestionDraft


class Draft(Strict):
    id: str
    program_id: str
    kind: DraftKind
    payload: dict[str, object]
    status: DraftStatus = DraftStatus.PENDING
    findings: list[Finding] = Field(default_factory=list)
    provenance: Provenance
    created_at: datetime
    meeting_date: date | None = None
    source_document_id: int | None = None  # the stored document it was drafted from
    job_id: str | None = None
    record_ref: str | None = None  # once approved: the record it created ("action:A-..."), or what it noted
