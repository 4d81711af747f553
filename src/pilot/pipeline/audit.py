"""The audit log as use cases: read a program's events, verify the whole hash chain."""

from __future__ import annotations

from pilot.domain.audit import AuditEvent, ChainReport
from pilot.pipeline.context import Pilot
from pilot.store.audit import list_events, verify_chain

__all__ = ["AuditEvent", "ChainReport", "audit_events", "verify_audit"]


def audit_events(pilot: Pilot, program_id: str | None = None, *, limit: int = 200) -> list[AuditEvent]:
    """The newest events first (one program's, or every program's), at most `limit` (1..1000)."""
    with pilot.db.reading() as session:
        return list_events(session, program_id=program_id, limit=max(1, min(limit, 1000)))


def verify_audit(pilot: Pilot) -> ChainReport:
    """Re-derive the hash chain (one chain over every program) and report the first bad event."""
    with pilot.db.reading() as session:
        return verify_chain(session)
