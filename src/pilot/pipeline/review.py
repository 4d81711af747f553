"""The review queue as use cases: list drafts, edit, pick an owner, approve, reject, bulk-approve."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from pilot.domain.drafts import Draft, DraftContext, DraftKind, DraftStatus
from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.findings import Finding
from pilot.pipeline.context import Pilot
from pilot.review import drafts as queue
from pilot.rules.checks import ProgramIndex, run_checks
from pilot.store.documents import document_headings
from pilot.store.drafts import get_draft_row, list_draft_rows, to_draft
from pilot.store.programs import load_program


def record_description(draft: Draft) -> str:
    """What approving the draft creates, in words."""
    return queue.record_description(draft)


class QueueFilter(BaseModel):
    """The review queue's filters: a kind, an owner (person id, or "none" for drafts without one)
    and a finding (a rule id or its prefix, "any" for drafts with findings, "none" for clean ones)."""

    kind: DraftKind | None = None
    owner: str | None = None
    finding: str | None = None

    @classmethod
    def of(cls, values: dict[str, str]) -> QueueFilter:
        """The filter a page's query (or a form's saved view) asks for; empty values mean "all"."""
        kind = values.get("kind")
        return cls(
            kind=DraftKind(kind) if kind else None,
            owner=values.get("owner") or None,
            finding=values.get("finding") or None,
        )

    def keeps(self, draft: Draft) -> bool:
        if self.kind is not None and draft.kind != self.kind:
            return False
        if self.owner:
            owner = draft.payload.get("owner_id") or draft.payload.get("decided_by_id")
            if (self.owner == "none" and owner) or (self.owner != "none" and owner != self.owner):
                return False
        if self.finding:
            rules = [f.rule_id for f in draft.findings]
            if self.finding == "none":
                return not rules
            if self.finding == "any":
                return bool(rules)
            return any(rule.startswith(self.finding) for rule in rules)
        return True


class MeetingGroup(BaseModel):
    """The drafts of one source document (a meeting), surest first."""

    document_id: int | None
    title: str
    meeting_date: date | None
    drafts: list[Draft]


def confidence_of(draft: Draft) -> float:
    value = draft.payload.get("confidence")
    return float(value) if isinstance(value, int | float) else 0.5


def queue_by_meeting(
    pilot: Pilot,
    program_id: str,
    *,
    status: DraftStatus | None = DraftStatus.PENDING,
    filters: QueueFilter | None = None,
    job_id: str | None = None,
) -> list[MeetingGroup]:
    """The queue grouped by source document (newest meeting first), each group sorted by
    confidence; drafts with no source document (status updates, artifacts) come last."""
    filters = filters or QueueFilter()
    drafts = [
        d
        for d in list_drafts(pilot, program_id, status=status, kind=filters.kind, job_id=job_id)
        if filters.keeps(d)
    ]
    by_document: dict[int | None, list[Draft]] = {}
    for draft in drafts:
        by_document.setdefault(draft.source_document_id, []).append(draft)
    with pilot.db.reading() as session:
        headings = document_headings(session, program_id, [d for d in by_document if d is not None])
    groups: list[MeetingGroup] = []
    for document_id, members in by_document.items():
        members.sort(key=lambda d: (-confidence_of(d), d.created_at))
        title, when = "Drafts without a source document", None
        if document_id is not None:
            heading = headings.get(document_id)
            title, when = (
                (heading[0] or f"document {document_id}", heading[1])
                if heading
                else (f"document {document_id} (deleted)", None)
            )
        when = when or next((d.meeting_date for d in members if d.meeting_date), None)
        groups.append(MeetingGroup(document_id=document_id, title=title, meeting_date=when, drafts=members))
    groups.sort(
        key=lambda g: (
            g.document_id is None,
            -(g.meeting_date.toordinal() if g.meeting_date else 0),
            -(g.document_id or 0),
        )
    )
    return groups


def queue_draft_ids(
    pilot: Pilot, program_id: str, filters: QueueFilter, *, job_id: str | None = None
) -> list[str]:
    """The ids of the pending drafts a filtered queue view shows."""
    return [
        d.id for d in list_drafts(pilot, program_id, kind=filters.kind, job_id=job_id) if filters.keeps(d)
    ]


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
    with pilot.db.reading() as session:
        load_program(session, program_id)
        return [
            to_draft(r) for r in list_draft_rows(session, program_id, status=status, kind=kind, job_id=job_id)
        ]


def get_draft(pilot: Pilot, program_id: str, draft_id: str) -> Draft:
    with pilot.db.reading() as session:
        return to_draft(get_draft_row(session, program_id, draft_id))


def edit(pilot: Pilot, program_id: str, draft_id: str, payload: dict[str, Any]) -> Draft:
    with pilot.db.transaction() as session:
        current = to_draft(get_draft_row(session, program_id, draft_id))
        if current.kind == DraftKind.STATUS_UPDATE:
            # The prose is the reviewer's to edit; the facts it is checked against are not.
            payload = {
                **payload,
                "fact_sheet": current.payload.get("fact_sheet"),
                "colour": current.payload.get("colour"),
            }
        if current.kind == DraftKind.ARTIFACT:  # likewise: the text is edited, its sheet of record is not
            payload = {**payload, "sheet": current.payload.get("sheet"), "kind": current.payload.get("kind")}
        return queue.edit_draft(
            session,
            program_id=program_id,
            draft_id=draft_id,
            payload=payload,
            actor=pilot.actor,
            now=pilot.now(),
            checker=checker_for(session, program_id, pilot.now),
        )


def edit_fields(
    pilot: Pilot,
    program_id: str,
    draft_id: str,
    *,
    task: str | None = None,
    due: str | None = None,
    owner_id: str | None = None,
) -> Draft:
    """The queue's Edit form in one audited edit: the task, the due date ("" clears it) and the owner,
    who may be any person of the program (not only the extraction's candidates)."""
    with pilot.db.transaction() as session:
        payload = dict(to_draft(get_draft_row(session, program_id, draft_id)).payload)
        if task is not None and "task" in payload:
            payload["task"] = task
        if due is not None and "due" in payload:
            payload["due"] = due or None
        if owner_id and "owner_id" in payload and owner_id != payload.get("owner_id"):
            if owner_id not in {p.id for p in load_program(session, program_id).people}:
                raise PilotError(ErrorCode.INVALID_INPUT, f"{owner_id!r} is not a person of {program_id}")
            payload.update(queue.owner_fields(owner_id))
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


def bulk_approve(
    pilot: Pilot,
    program_id: str,
    draft_ids: list[str] | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> BulkResult:
    """Approve every pending draft (or those listed) that has no findings at all; skip the rest.
    Each approval is its own transaction, so an interrupted run kept what it approved and a second
    run skips those (already decided) and approves the rest."""
    result = BulkResult(approved=[], skipped={})
    # An empty list is an empty selection (a filtered view that shows nothing), never "everything".
    targets = draft_ids if draft_ids is not None else [d.id for d in list_drafts(pilot, program_id)]
    for done, draft_id in enumerate(targets):
        if progress is not None:
            progress(done, len(targets))
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
