"""The audit log: append-only and hash-chained, after simonw/llm's log.

Each event's hash is sha256(previous hash + canonical JSON of the event). `verify` re-derives
the chain from the first event and names the first one that does not match, so editing, deleting
or inserting a row anywhere is detected.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilot.clock import system_clock
from pilot.domain.audit import AuditEvent, ChainReport
from pilot.store.tables import AuditEventRow, AuditHeadRow

GENESIS = "0" * 64


def _canonical(
    *,
    at: datetime,
    actor: str,
    action: str,
    program_id: str | None,
    subject: str | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> str:
    body = {
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "program_id": program_id,
        "subject": subject,
        "before": before,
        "after": after,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _chain_hash(prev_hash: str, canonical: str) -> str:
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def _jsonable(value: dict[str, Any] | None) -> dict[str, Any] | None:
    # Round-trip through JSON so what is hashed is exactly what the JSON column gives back.
    if value is None:
        return None
    result: dict[str, Any] = json.loads(json.dumps(value, default=str))
    return result


def append_event(
    session: Session,
    *,
    actor: str,
    action: str,
    program_id: str | None = None,
    subject: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEventRow:
    """Append one event inside the caller's transaction (it commits or rolls back with the change)."""
    at = (at or system_clock()).astimezone(UTC)
    before, after = _jsonable(before), _jsonable(after)
    head = session.execute(
        select(AuditHeadRow).where(AuditHeadRow.id == 1).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        head = AuditHeadRow(id=1, last_id=0, last_hash=GENESIS)
        session.add(head)
        session.flush()
    canonical = _canonical(
        at=at, actor=actor, action=action, program_id=program_id, subject=subject, before=before, after=after
    )
    row = AuditEventRow(
        at=at,
        actor=actor,
        action=action,
        program_id=program_id,
        subject=subject,
        before=before,
        after=after,
        prev_hash=head.last_hash,
        hash=_chain_hash(head.last_hash, canonical),
    )
    session.add(row)
    session.flush()
    head.last_id = row.id
    head.last_hash = row.hash
    return row


def verify_chain(session: Session) -> ChainReport:
    prev = GENESIS
    count = 0
    last_id = 0
    for row in session.execute(select(AuditEventRow).order_by(AuditEventRow.id)).scalars():
        count += 1
        if row.prev_hash != prev:
            return ChainReport(
                ok=False, events=count, first_bad_id=row.id, reason="previous-hash link broken (row removed?)"
            )
        canonical = _canonical(
            at=row.at,
            actor=row.actor,
            action=row.action,
            program_id=row.program_id,
            subject=row.subject,
            before=row.before,
            after=row.after,
        )
        if _chain_hash(prev, canonical) != row.hash:
            return ChainReport(
                ok=False, events=count, first_bad_id=row.id, reason="content does not match its hash"
            )
        prev = row.hash
        last_id = row.id
    head = session.get(AuditHeadRow, 1)
    if head is not None and (head.last_hash != prev or head.last_id != last_id):
        return ChainReport(
            ok=False,
            events=count,
            first_bad_id=head.last_id,
            reason="chain head does not match the last event",
        )
    return ChainReport(ok=True, events=count)


def list_events(session: Session, *, program_id: str | None = None, limit: int = 200) -> list[AuditEvent]:
    query = select(AuditEventRow).order_by(AuditEventRow.id.desc()).limit(limit)
    if program_id is not None:
        query = query.where(AuditEventRow.program_id == program_id)
    return [AuditEvent.model_validate(row, from_attributes=True) for row in session.execute(query).scalars()]


def find_events(
    session: Session,
    *,
    program_id: str,
    actions: Sequence[str],
    subject: str | None = None,
    since: datetime | None = None,
    limit: int = 500,
) -> list[AuditEvent]:
    """A program's events of the given actions (about one subject, or since a moment), newest first."""
    query = select(AuditEventRow).where(
        AuditEventRow.program_id == program_id, AuditEventRow.action.in_(list(actions))
    )
    if subject is not None:
        query = query.where(AuditEventRow.subject == subject)
    if since is not None:
        query = query.where(AuditEventRow.at >= since)
    rows = session.execute(query.order_by(AuditEventRow.id.desc()).limit(limit)).scalars()
    return [AuditEvent.model_validate(row, from_attributes=True) for row in rows]
