"""The review queue over HTTP: drafts, edits, owner choice, approvals, rejections; the audit trail."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from pilot.api.deps import CanApprove, CanEdit, CanView, PilotDep
from pilot.domain.drafts import Draft, DraftKind, DraftStatus
from pilot.pipeline import review
from pilot.store.audit import AuditEvent, list_events

router = APIRouter(tags=["review"])


class DraftEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    payload: dict[str, Any]


class OwnerChoice(BaseModel):
    model_config = ConfigDict(extra="forbid")
    owner_id: str = Field(min_length=1, max_length=64)


class Approval(BaseModel):
    model_config = ConfigDict(extra="forbid")
    override_reason: str | None = Field(default=None, max_length=2000)


class Rejection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)


class BulkApproval(BaseModel):
    model_config = ConfigDict(extra="forbid")
    draft_ids: list[str] | None = Field(default=None, max_length=1000)


@router.get("/programs/{program_id}/drafts")
def list_drafts_route(
    program_id: str,
    _scope: CanView,
    pilot: PilotDep,
    status: DraftStatus | None = DraftStatus.PENDING,
    kind: DraftKind | None = None,
    job_id: str | None = None,
) -> list[Draft]:
    return review.list_drafts(pilot, program_id, status=status, kind=kind, job_id=job_id)


@router.get("/programs/{program_id}/drafts/{draft_id}")
def get_draft_route(program_id: str, draft_id: str, _scope: CanView, pilot: PilotDep) -> Draft:
    return review.get_draft(pilot, program_id, draft_id)


@router.put("/programs/{program_id}/drafts/{draft_id}")
def edit_draft_route(
    program_id: str, draft_id: str, body: DraftEdit, _scope: CanEdit, pilot: PilotDep
) -> Draft:
    """Replace a pending draft's payload; its checks run again and it stays pending."""
    return review.edit(pilot, program_id, draft_id, body.payload)


@router.post("/programs/{program_id}/drafts/{draft_id}/owner")
def choose_owner_route(
    program_id: str, draft_id: str, body: OwnerChoice, _scope: CanEdit, pilot: PilotDep
) -> Draft:
    return review.choose_owner(pilot, program_id, draft_id, body.owner_id)


@router.post("/programs/{program_id}/drafts/{draft_id}/approve")
def approve_draft_route(
    program_id: str, draft_id: str, body: Approval, _scope: CanApprove, pilot: PilotDep
) -> Draft:
    """Approve: the draft becomes a program record (409 if already decided or blocked by errors)."""
    return review.approve(pilot, program_id, draft_id, override_reason=body.override_reason)


@router.post("/programs/{program_id}/drafts/{draft_id}/reject")
def reject_draft_route(
    program_id: str, draft_id: str, body: Rejection, _scope: CanApprove, pilot: PilotDep
) -> Draft:
    return review.reject(pilot, program_id, draft_id, reason=body.reason)


@router.post("/programs/{program_id}/drafts/bulk-approve")
def bulk_approve_route(
    program_id: str, body: BulkApproval, _scope: CanApprove, pilot: PilotDep
) -> review.BulkResult:
    """Approve pending drafts that have no findings; the others are listed with the reason."""
    return review.bulk_approve(pilot, program_id, body.draft_ids)


@router.get("/programs/{program_id}/audit", tags=["audit"])
def audit_route(program_id: str, _scope: CanView, pilot: PilotDep, limit: int = 200) -> list[AuditEvent]:
    with pilot.db.transaction() as session:
        return list_events(session, program_id=program_id, limit=max(1, min(limit, 1000)))
