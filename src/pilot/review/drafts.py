"""The review queue's decisions: approve (the only path to program data), edit, reject, pick owner.

Approval locks the draft row and checks it is still pending inside the same transaction, so two
approvers racing on one draft produce exactly one record and one audit event; the loser gets a
conflict. A draft with error findings needs an explicit override reason, which is recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from pilot.domain.artifacts import ArtifactDraft
from pilot.domain.drafts import (
    ActionItemDraft,
    DecisionDraft,
    Draft,
    DraftKind,
    DraftStatus,
    OwnerResolution,
    QuestionDraft,
    RaidDraft,
)
from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.findings import Finding, Severity
from pilot.domain.program import (
    ActionItem,
    Decision,
    DecisionStatus,
    RaidItem,
    RaidKind,
    ref,
)
from pilot.domain.status import StatusDraft
from pilot.store.audit import append_event
from pilot.store.drafts import get_draft_row, to_draft
from pilot.store.programs import insert_record
from pilot.store.tables import DraftRow

# Re-checks a draft against the program after an edit; the pipeline passes the rules layer in.
DraftChecker = Callable[[Draft], list[Finding]]

PAYLOAD_MODELS: dict[DraftKind, type[BaseModel]] = {
    DraftKind.ACTION_ITEM: ActionItemDraft,
    DraftKind.DECISION: DecisionDraft,
    DraftKind.RAID: RaidDraft,
    DraftKind.QUESTION: QuestionDraft,
    DraftKind.STATUS_UPDATE: StatusDraft,
    DraftKind.ARTIFACT: ArtifactDraft,
}

M = TypeVar("M", bound=BaseModel)


def _problems(exc: ValidationError) -> list[dict[str, str]]:
    return [{"path": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]


def stored_payload(draft: Draft, model: type[M]) -> M:
    """A stored draft's payload as its model. A payload stored before every edit was validated
    (or altered in the database) is a 409 naming the draft, never a crash of whatever reads it."""
    try:
        return model.model_validate(draft.payload)
    except ValidationError as exc:
        raise PilotError(
            ErrorCode.CONFLICT,
            f"draft {draft.id} holds an invalid {draft.kind.value} payload; reject it and draft again",
            details=_problems(exc),
        ) from exc


def valid_payloads(drafts: list[Draft], model: type[M]) -> list[tuple[Draft, M]]:
    """The drafts whose stored payload is valid, each with it (invalid ones are left out)."""
    out: list[tuple[Draft, M]] = []
    for draft in drafts:
        try:
            out.append((draft, model.model_validate(draft.payload)))
        except ValidationError:
            continue
    return out


def blocking(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == Severity.ERROR]


def _pending(row: DraftRow) -> None:
    if row.status != DraftStatus.PENDING.value:
        raise PilotError(ErrorCode.CONFLICT, f"draft {row.id} is already {row.status}")


def validate_payload(kind: DraftKind, payload: dict[str, Any]) -> dict[str, Any]:
    model = PAYLOAD_MODELS[kind]
    try:
        return model.model_validate(payload).model_dump(mode="json")
    except ValidationError as exc:
        raise PilotError(
            ErrorCode.INVALID_INPUT, f"invalid {kind.value} draft", details=_problems(exc)
        ) from exc


def edit_draft(
    session: Session,
    *,
    program_id: str,
    draft_id: str,
    payload: dict[str, Any],
    actor: str,
    now: datetime,
    checker: DraftChecker,
) -> Draft:
    row = get_draft_row(session, program_id, draft_id, lock=True)
    _pending(row)
    before = {"payload": row.payload, "version": row.version}
    row.payload = validate_payload(DraftKind(row.kind), payload)
    row.findings = [f.model_dump(mode="json") for f in checker(to_draft(row))]
    row.version += 1
    append_event(
        session,
        actor=actor,
        action="draft.edit",
        program_id=program_id,
        subject=f"draft:{draft_id}",
        before=before,
        after={"payload": row.payload, "version": row.version},
        at=now,
    )
    session.flush()
    return to_draft(row)


def owner_fields(owner_id: str) -> dict[str, str]:
    """The payload fields that record a person chosen as owner by a reviewer."""
    return {"owner_id": owner_id, "owner_resolution": OwnerResolution.RESOLVED.value}


def choose_owner(
    session: Session,
    *,
    program_id: str,
    draft_id: str,
    owner_id: str,
    actor: str,
    now: datetime,
    checker: DraftChecker,
) -> Draft:
    row = get_draft_row(session, program_id, draft_id, lock=True)
    _pending(row)
    if row.kind not in (DraftKind.ACTION_ITEM.value, DraftKind.RAID.value):
        raise PilotError(ErrorCode.INVALID_INPUT, f"a {row.kind} draft has no owner to choose")
    payload = dict(row.payload)
    candidates = payload.get("owner_candidates") or []
    if candidates and owner_id not in candidates:
        raise PilotError(ErrorCode.INVALID_INPUT, f"{owner_id!r} is not one of the candidates {candidates}")
    payload.update(owner_fields(owner_id))
    return edit_draft(
        session,
        program_id=program_id,
        draft_id=draft_id,
        payload=payload,
        actor=actor,
        now=now,
        checker=checker,
    )


def reject_draft(
    session: Session, *, program_id: str, draft_id: str, actor: str, reason: str, now: datetime
) -> Draft:
    if not reason.strip():
        raise PilotError(ErrorCode.INVALID_INPUT, "rejecting a draft needs a reason")
    row = get_draft_row(session, program_id, draft_id, lock=True)
    _pending(row)
    row.status = DraftStatus.REJECTED.value
    row.decided_by, row.decided_at, row.decision_reason = actor, now, reason.strip()
    append_event(
        session,
        actor=actor,
        action="draft.reject",
        program_id=program_id,
        subject=f"draft:{draft_id}",
        before={"status": "pending"},
        after={"status": "rejected", "reason": reason.strip()},
        at=now,
    )
    session.flush()
    return to_draft(row)


def approve_draft(
    session: Session,
    *,
    program_id: str,
    draft_id: str,
    actor: str,
    now: datetime,
    override_reason: str | None = None,
) -> Draft:
    row = get_draft_row(session, program_id, draft_id, lock=True)
    _pending(row)
    draft = to_draft(row)
    stored_payload(draft, PAYLOAD_MODELS[draft.kind])  # a bad stored payload is never approved
    errors = blocking(draft.findings)
    if errors and not (override_reason and override_reason.strip()):
        raise PilotError(
            ErrorCode.CONFLICT,
            f"draft has {len(errors)} error finding(s); approving it needs an override reason",
            details=[f.model_dump(mode="json") for f in errors],
        )
    record_ref, record = _record_for(draft, now)
    if record is not None:
        collection, model = record
        insert_record(session, program_id, collection, model)
    row.status = DraftStatus.APPROVED.value
    row.decided_by, row.decided_at = actor, now
    row.decision_reason = override_reason.strip() if errors and override_reason else None
    row.record_ref = record_ref
    append_event(
        session,
        actor=actor,
        action="draft.approve",
        program_id=program_id,
        subject=f"draft:{draft_id}",
        before={"status": "pending", "findings": [f.rule_id for f in draft.findings]},
        after={
            "status": "approved",
            "record": record_ref,
            "values": record[1].model_dump(mode="json") if record else None,
            "override_reason": row.decision_reason,
        },
        at=now,
    )
    session.flush()
    return to_draft(row)


def _record_for(draft: Draft, now: datetime) -> tuple[str, tuple[str, BaseModel] | None]:
    """The program record an approved draft becomes; its id derives from the draft's id."""
    suffix = draft.id.replace("-", "")[:10]
    source = draft.provenance.source_document_ids[0] if draft.provenance.source_document_ids else None
    if draft.kind == DraftKind.ACTION_ITEM:
        a = ActionItemDraft.model_validate(draft.payload)
        span = None
        if a.evidence is not None and a.evidence.turn_index is not None:
            span = f"turn {a.evidence.turn_index}"
        action = ActionItem(
            id=f"A-{suffix}",
            task=a.task,
            owner=a.owner_id,
            due=a.due,
            created_at=now,
            milestone=a.milestone,
            source_document=source,
            source_span=span,
        )
        return ref("action", action.id), ("action_items", action)
    if draft.kind == DraftKind.RAID:
        r = RaidDraft.model_validate(draft.payload)
        item = RaidItem(
            id=f"{r.kind.value}-{suffix}",
            kind=r.kind,
            title=r.title,
            description=r.description,
            owner=r.owner_id,
            probability=r.probability,
            impact=r.impact,
            mitigation=r.mitigation,
            opened_at=now,
            owner_assigned_at=now if r.owner_id else None,
            milestone=r.milestone,
        )
        return ref("raid", item.id), ("raid", item)
    if draft.kind == DraftKind.DECISION:
        d = DecisionDraft.model_validate(draft.payload)
        decision = Decision(
            id=f"DEC-{suffix}",
            question=d.what,
            outcome=d.what,
            rationale=d.rationale,
            status=DecisionStatus.DECIDED,
            requested_at=now,
            decided_at=now,
            decider=d.decided_by_id,
        )
        return ref("decision", decision.id), ("decisions", decision)
    if draft.kind == DraftKind.QUESTION:
        return _question_record(QuestionDraft.model_validate(draft.payload), draft.id, suffix, now)
    if draft.kind == DraftKind.ARTIFACT:  # an approved charter, checklist, plan or RAID export
        return f"artifact:{draft.id}", None
    # A status update is its own record: approving it makes it the last approved update.
    return f"status:{draft.id}", None


def _question_record(
    q: QuestionDraft, draft_id: str, suffix: str, now: datetime
) -> tuple[str, tuple[str, BaseModel] | None]:
    """An open question becomes a decision record only when a reviewer said so by editing it: an
    `outcome` (decided) or `pending_decision` (to be decided). As drafted it is noted, no record."""
    if q.outcome and q.outcome.strip():
        decided = Decision(
            id=f"DEC-{suffix}",
            question=q.question,
            outcome=q.outcome.strip(),
            status=DecisionStatus.DECIDED,
            requested_at=now,
            decided_at=now,
        )
        return ref("decision", decided.id), ("decisions", decided)
    if q.pending_decision:
        pending = Decision(id=f"DEC-{suffix}", question=q.question, requested_at=now)
        return ref("decision", pending.id), ("decisions", pending)
    return f"question:{draft_id}", None


_RAID_WORDS = {
    RaidKind.RISK.value: "a risk",
    RaidKind.ASSUMPTION.value: "an assumption",
    RaidKind.ISSUE.value: "an issue",
    RaidKind.DEPENDENCY.value: "a dependency",
}


def record_description(draft: Draft) -> str:
    """What approving the draft creates, in words, for the queue and `pilot review approve`."""
    payload = draft.payload
    if draft.kind == DraftKind.ACTION_ITEM:
        owner = payload.get("owner_id") or "no owner yet"
        due = payload.get("due") or "no due date"
        return f"an action item (owner {owner}, due {due})"
    if draft.kind == DraftKind.RAID:
        kind = _RAID_WORDS.get(str(payload.get("kind")), "an entry")
        return f"{kind} in the RAID log"
    if draft.kind == DraftKind.DECISION:
        return "a decided decision in the decision log"
    if draft.kind == DraftKind.QUESTION:
        if payload.get("outcome"):
            return "a decided decision (outcome edited in by a reviewer)"
        if payload.get("pending_decision"):
            return "a pending decision in the decision log"
        return "no record: the question is noted (edit in an outcome or mark it a pending decision)"
    if draft.kind == DraftKind.ARTIFACT:
        return "an approved artifact"
    return "the program's latest approved status update"
