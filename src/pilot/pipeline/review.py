"""The review queue as use cases: list drafts, edit, pick an owner, approve, reject, bulk-approve."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from pilot.domain.drafts import Draft, DraftContext, DraftKind, DraftStatus
from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.findings import Finding
from pilot.pipeline.context import Pilot
from pilot.review import drafts as queue
from pilot.rules.checks import ProgramIndex, run_checks
from pilot.store.drafts import get_draft_row, list_draft_rows, to_draft
from pilot.store.programs import load_program


class BulkResult(BaseModel):
    approved: list[str]
    skipped: dict[str, str]  # draft id -> why


def checker_for(session: Session, program_id: str, now_fn: Any) -> queue.DraftChecker:
    """Re-run the rules' draft checks for a draft against the program as stored now."""
    data = load_program(session, program_id)
    index = ProgramIndex.build(data)

    def check(draft: Draft) -> list[Finding]:
        context = DraftContext(meeting_date=draft.meeting_date, timezone=data.program.timezone)
        return run_checks(draft.kind, draft.payload, index, context, now_fn())

    return check


def list_drafts(
    pilot: Pilot,
    program_id: str,
    *,
    status: DraftStatus | None = DraftStatus.PENDING,
    kind: DraftKind | None = None,
    job_id: str | None = None,
) -> list[Draft]:
    with pilot.db.transaction() as session:
        load_program(session, program_id)
        return [
            to_draft(r) for r in list_draft_rows(session, program_id, status=status, kind=kind, job_id=job_id)
        ]


def get_draft(pilot: Pilot, program_id: str, draft_id: str) -> Draft:
    with pilot.db.transaction() as session:
        return to_draft(get_draft_row(session, program_id, draft_id))


def edit(pilot: Pilot, program_id: str, draft_id: str, payload: dict[str, Any]) -> Draft:
    with pilot.db.transaction() as session:
        current = to_draft(get_draft_row(session, program_id, draft_id))
        if current.kind == DraftKind.STATUS_UPDATE:
            # The prose is the reviewer's to edit; the facts it is checked against are not.
            payload = {
                **payload,
                "fact_sheet": current.payload["fact_sheet"],
                "colour": current.payload["colour"],
            }
        return queue.edit_draft(
            session,
            program_id=program_id,
            draft_id=draft_id,
            payload=payload,
            actor=pilot.actor,
            now=pilot.now(),
            checker=checker_for(session, program_id, pilot.now),
        )


def choose_owner(pilot: Pilot, program_id: str, draft_id: str, owner_id: str) -> Draft:
    with pilot.db.transaction() as session:
        return queue.choose_owner(
            session,
            program_id=program_id,
            draft_id=draft_id,
            owner_id=owner_id,
            actor=pilot.actor,
            now=pilot.now(),
            checker=checker_for(session, program_id, pilot.now),
        )


def approve(pilot: Pilot, program_id: str, draft_id: str, *, override_reason: str | None = None) -> Draft:
    with pilot.db.transaction() as session:
        return queue.approve_draft(
            session,
            program_id=program_id,
            draft_id=draft_id,
            actor=pilot.actor,
            now=pilot.now(),
            override_reason=override_reason,
        )


def reject(pilot: Pilot, program_id: str, draft_id: str, *, reason: str) -> Draft:
    with pilot.db.transaction() as session:
        return queue.reject_draft(
            session,
            program_id=program_id,
            draft_id=draft_id,
            actor=pilot.actor,
            reason=reason,
            now=pilot.now(),
        )


def bulk_approve(pilot: Pilot, program_id: str, draft_ids: list[str] | None = None) -> BulkResult:
    """Approve every pending draft (or those listed) that has no findings at all; skip the rest."""
    result = BulkResult(approved=[], skipped={})
    targets = draft_ids or [d.id for d in list_drafts(pilot, program_id)]
    for draft_id in targets:
        try:
            draft = get_draft(pilot, program_id, draft_id)
            if draft.findings:
                result.skipped[draft_id] = f"{len(draft.findings)} finding(s) to review"
                continue
            approve(pilot, program_id, draft_id)
            result.approved.append(draft_id)
        except PilotError as exc:
            if exc.code not in (ErrorCode.CONFLICT, ErrorCode.NOT_FOUND):
                raise
            result.skipped[draft_id] = exc.message
    return result
