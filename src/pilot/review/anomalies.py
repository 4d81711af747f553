"""Acknowledge, resolve or snooze a finding; each change is audited with who, when and why."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.findings import FindingState, StoredFinding
from pilot.store.audit import append_event
from pilot.store.findings import get_finding_row, to_stored


def _state_snapshot(state: str, reason: str | None, until: datetime | None) -> dict[str, str | None]:
    return {"state": state, "reason": reason, "snoozed_until": until.isoformat() if until else None}


def change_state(
    session: Session,
    *,
    program_id: str,
    finding_id: int,
    new_state: FindingState,
    actor: str,
    reason: str,
    now: datetime,
    snoozed_until: datetime | None = None,
) -> StoredFinding:
    if not reason or not reason.strip():
        raise PilotError(ErrorCode.INVALID_INPUT, "a reason is required to change a finding's state")
    if snoozed_until is not None and snoozed_until.utcoffset() is None:
        raise PilotError(
            ErrorCode.INVALID_INPUT, "'until' needs a time zone (e.g. 2026-12-01T09:00:00+00:00)"
        )
    if new_state == FindingState.SNOOZED:
        if snoozed_until is None or snoozed_until <= now:
            raise PilotError(ErrorCode.INVALID_INPUT, "snooze needs an 'until' time in the future")
    elif snoozed_until is not None:
        raise PilotError(ErrorCode.INVALID_INPUT, "'until' only applies to snooze")
    if new_state == FindingState.OPEN:
        raise PilotError(ErrorCode.INVALID_INPUT, "findings are reopened by pilot when their facts change")
    row = get_finding_row(session, program_id, finding_id)
    before = _state_snapshot(row.state, row.state_reason, row.snoozed_until)
    row.state = new_state.value
    row.state_reason = reason.strip()
    row.state_by = actor
    row.state_at = now
    row.snoozed_until = snoozed_until
    row.resolved_facts_hash = row.facts_hash if new_state == FindingState.RESOLVED else None
    session.flush()
    append_event(
        session,
        actor=actor,
        action=f"finding.{new_state.value}",
        program_id=program_id,
        subject=f"finding:{finding_id}",
        before=before,
        after=_state_snapshot(row.state, row.state_reason, row.snoozed_until) | {"rule_id": row.rule_id},
        at=now,
    )
    return to_stored(row)
