"""Persisted program findings and KPI samples.

`reconcile` merges one scan into what is stored:
- a new finding is inserted as open;
- a finding seen again is refreshed; a resolved one stays resolved while its facts hash is the
  one it was resolved with, and reopens when the facts changed; an expired snooze reopens it;
- a stored finding the scan no longer produces becomes inactive (its condition cleared).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.findings import Finding, FindingState, KpiValue, Severity, StoredFinding
from pilot.store.tables import FindingRow, KpiSampleRow


class ReconcileSummary(BaseModel):
    new: int = 0
    seen_again: int = 0
    reopened: int = 0
    cleared: int = 0
    reopened_ids: list[int] = []


def to_stored(row: FindingRow) -> StoredFinding:
    return StoredFinding(
        id=row.id,
        program_id=row.program_id,
        finding=Finding(
            rule_id=row.rule_id,
            severity=Severity(row.severity),
            message=row.message,
            subjects=tuple(row.subjects),
            values=row.values,
            measures=row.measures or {},
            suggested_action=row.suggested_action,
        ),
        state=FindingState(row.state),
        first_seen_at=row.first_seen_at,
        last_seen_at=row.last_seen_at,
        active=row.active,
        state_reason=row.state_reason,
        state_by=row.state_by,
        state_at=row.state_at,
        snoozed_until=row.snoozed_until,
    )


def reconcile(
    session: Session, program_id: str, findings: Sequence[Finding], now: datetime
) -> ReconcileSummary:
    summary = ReconcileSummary()
    stored = {
        row.key: row
        for row in session.execute(select(FindingRow).where(FindingRow.program_id == program_id)).scalars()
    }
    produced: set[str] = set()
    for finding in findings:
        key = finding.key
        if key in produced:
            continue
        produced.add(key)
        row = stored.get(key)
        if row is None:
            session.add(
                FindingRow(
                    program_id=program_id,
                    key=key,
                    rule_id=finding.rule_id,
                    severity=finding.severity.value,
                    message=finding.message,
                    subjects=list(finding.subjects),
                    values=dict(finding.values),
                    measures=dict(finding.measures),
                    suggested_action=finding.suggested_action,
                    facts_hash=finding.facts_hash,
                    state=FindingState.OPEN.value,
                    first_seen_at=now,
                    last_seen_at=now,
                    active=True,
                )
            )
            summary.new += 1
            continue
        summary.seen_again += 1
        row.severity = finding.severity.value
        row.message = finding.message
        row.values = dict(finding.values)
        row.measures = dict(finding.measures)
        row.suggested_action = finding.suggested_action
        row.facts_hash = finding.facts_hash
        row.last_seen_at = now
        reopen = False
        if row.state == FindingState.RESOLVED.value and row.resolved_facts_hash != finding.facts_hash:
            reopen = True
        elif (
            row.state == FindingState.SNOOZED.value
            and row.snoozed_until is not None
            and row.snoozed_until <= now
        ):
            reopen = True
        row.active = True
        if reopen:
            row.state = FindingState.OPEN.value
            row.state_reason = (
                "reopened: facts changed" if row.snoozed_until is None else "reopened: snooze ended"
            )
            row.state_by = "pilot"
            row.state_at = now
            row.snoozed_until = None
            summary.reopened += 1
            summary.reopened_ids.append(row.id)
    for key, row in stored.items():
        if key not in produced and row.active:
            row.active = False
            summary.cleared += 1
    session.flush()
    return summary


def list_findings(
    session: Session,
    program_id: str,
    *,
    include_inactive: bool = False,
    states: Sequence[FindingState] | None = None,
) -> list[StoredFinding]:
    query = select(FindingRow).where(FindingRow.program_id == program_id)
    if not include_inactive:
        query = query.where(FindingRow.active.is_(True))
    if states:
        query = query.where(FindingRow.state.in_([s.value for s in states]))
    rows = session.execute(query.order_by(FindingRow.id)).scalars()
    out = [to_stored(r) for r in rows]
    out.sort(key=lambda f: (-f.finding.severity.rank, f.finding.rule_id, f.id))
    return out


def get_finding_row(session: Session, program_id: str, finding_id: int) -> FindingRow:
    row = session.get(FindingRow, finding_id, with_for_update=True)
    if row is None or row.program_id != program_id:
        raise PilotError(ErrorCode.NOT_FOUND, f"finding {finding_id} not found in program {program_id!r}")
    return row


def record_kpis(session: Session, program_id: str, kpis: Sequence[KpiValue], now: datetime) -> None:
    for kpi in kpis:
        session.add(
            KpiSampleRow(
                program_id=program_id,
                kpi_id=kpi.kpi_id,
                value=kpi.value,
                status=kpi.status.value,
                taken_at=now,
            )
        )
    session.flush()


def kpi_history(
    session: Session, program_id: str, kpi_id: str | None = None, limit: int = 500
) -> list[KpiSampleRow]:
    query = select(KpiSampleRow).where(KpiSampleRow.program_id == program_id)
    if kpi_id is not None:
        query = query.where(KpiSampleRow.kpi_id == kpi_id)
    return list(session.execute(query.order_by(KpiSampleRow.taken_at.desc()).limit(limit)).scalars())
