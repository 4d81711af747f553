"""Replace a pending status update by a newer one for the same audience: the older draft is kept
(its text, edits and findings stay readable) but leaves the queue as superseded, and the
replacement is audited. Approved updates are never touched."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from pilot.domain.drafts import DraftKind, DraftStatus
from pilot.store.audit import append_event
from pilot.store.drafts import get_draft_row, list_draft_rows


def supersede_pending_status(
    session: Session, *, program_id: str, audience: str, replacement_id: str, actor: str, now: datetime
) -> list[str]:
    """Mark every other pending status update for `audience` superseded by `replacement_id`."""
    replaced: list[str] = []
    pending = list_draft_rows(session, program_id, status=DraftStatus.PENDING, kind=DraftKind.STATUS_UPDATE)
    for candidate in pending:
        if candidate.id == replacement_id or candidate.payload.get("audience") != audience:
            continue
        row = get_draft_row(session, program_id, candidate.id, lock=True)
        if row.status != DraftStatus.PENDING.value:  # approved or rejected meanwhile
            continue
        row.status = DraftStatus.SUPERSEDED.value
        row.decided_by, row.decided_at = actor, now
        row.decision_reason = f"replaced by the newer draft {replacement_id}"
        append_event(
            session,
            actor=actor,
            action="draft.supersede",
            program_id=program_id,
            subject=f"draft:{row.id}",
            before={"status": "pending", "audience": audience, "edits": row.version - 1},
            after={"status": "superseded", "replaced_by": replacement_id},
            at=now,
        )
        replaced.append(row.id)
    session.flush()
    return replaced
