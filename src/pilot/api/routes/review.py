"""The review queue over HTTP: drafts, edits, owner choice, approvals, rejections; the audit trail."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from pilot.api.deps import CanApprove, CanEdit, CanView, PilotDep, RunnerDep, WaitParam, job_answer
from pilot.domain.drafts import Draft, DraftKind, DraftStatus
from pilot.domain.jobs import Job
from pilot.pipeline import review
from pilot.pipeline.audit import AuditEvent, audit_events
from pilot.pipeline.job_kinds import APPROVE_JOB

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


@router.post(
    "/programs/{program_id}/drafts/bulk-approve",
    response_model=review.BulkResult,
    responses={202: {"model": Job, "description": "Still running after `wait` seconds: poll the job."}},
)
def bulk_approve_route(
    program_id: str,
    body: BulkApproval,
    _scope: CanApprove,
    pilot: PilotDep,
    runner: RunnerDep,
    wait: WaitParam = None,
) -> review.BulkResult | JSONResponse:
    """Approve pending drafts that have no findings (as a job: an interrupted one is resumed and
    approves each draft once); the others are listed with the reason."""
    targets = body.draft_ids or [d.id for d in review.list_drafts(pilot, program_id)]
    job = runner.submit(APPROVE_JOB, program_id, {"draft_ids": targets}, actor=pilot.actor)
    return job_answer(runner, job, wait, review.BulkResult)


@router.get("/programs/{program_id}/audit", tags=["audit"])
def audit_route(
    program_id: str, _scope: CanView, pilot: PilotDep, limit: Annotated[int, Query(ge=1, le=1000)] = 200
) -> list[AuditEvent]:
    return audit_events(pilot, program_id, limit=limit)
