"""Persisted program findings and KPI samples.

`reconcile` merges one scan into what is stored:
- a new finding is inserted as open;
- a finding seen again is refreshed; a resolved one stays resolved while its facts hash is the
  one it was resolved with, and reopens when the facts changed; an expired snooze reopens it;
- a finding whose rule changed within its family about the same records (a dependency that was
  "at risk" is now "overdue") keeps its stored row, id and review state: the acknowledgement is
  about the records, not about which of the family's rules fired; a resolution still reopens,
  since the facts changed;
- a stored finding the scan no longer produces becomes inactive (its condition cleared).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.findings import Finding, FindingState, KpiValue, Severity, StoredFinding, rule_family
from pilot.store.tables import FindingRow, KpiSampleRow

_HUMAN_STATES = (FindingState.ACKNOWLEDGED.value, FindingState.SNOOZED.value)


class ReconcileSummary(BaseModel):
    new: int = 0
    seen_again: int = 0
    reopened: int = 0
    cleared: int = 0
    carried: int = 0  # rule changed within its family; the stored finding and its state kept
    reopened_ids: list[int] = []
    new_ids: list[int] = []
    cleared_ids: list[int] = []
    carried_ids: list[int] = []


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
    rows = list(session.execute(select(FindingRow).where(FindingRow.program_id == program_id)).scalars())
    stored = {row.key: row for row in rows}
    produced: dict[str, Finding] = {}
    for finding in findings:
        produced.setdefault(finding.key, finding)
    siblings = _Siblings([row for row in rows if row.key not in produced])
    added: list[FindingRow] = []
    for key, finding in produced.items():
        row = stored.get(key)
        if row is None:
            row = siblings.take(finding)
            if row is not None:
                row.key, row.rule_id = key, finding.rule_id
                summary.carried += 1
                summary.carried_ids.append(row.id)
        else:
            siblings.adopt_state(row, finding)
        if row is None:
            added.append(_new_row(program_id, finding, now))
            continue
        if key in stored:
            summary.seen_again += 1
        if _refresh(row, finding, now):
            summary.reopened += 1
            summary.reopened_ids.append(row.id)
    session.add_all(added)
    for row in rows:
        if row.key not in produced and row.active:
            row.active = False
            summary.cleared += 1
            summary.cleared_ids.append(row.id)
    session.flush()
    summary.new, summary.new_ids = len(added), [row.id for row in added]
    return summary


class _Siblings:
    """Stored findings the scan did not produce, by rule family and the records they are about."""

    def __init__(self, rows: Sequence[FindingRow]) -> None:
        self._by_subject: dict[tuple[str, tuple[str, ...]], list[FindingRow]] = defaultdict(list)
        for row in rows:
            self._by_subject[_family_key(row.rule_id, row.subjects)].append(row)

    def take(self, finding: Finding) -> FindingRow | None:
        """The row this finding continues: one of its family about the same records, preferring
        one a person reviewed, then the one seen last. Each row continues one finding at most."""
        rows = self._by_subject.get(_family_key(finding.rule_id, finding.subjects))
        if not rows:
            return None
        best = max(rows, key=lambda r: (r.state != FindingState.OPEN.value, r.active, r.last_seen_at))
        rows.remove(best)
        return best

    def adopt_state(self, row: FindingRow, finding: Finding) -> None:
        """A finding stored under both rules (before rows carried over): an open one takes the
        latest acknowledgement or snooze its family gave the same records after its own state."""
        rows = self._by_subject.get(_family_key(finding.rule_id, finding.subjects), [])
        reviewed = [(r.state_at, r) for r in rows if r.state in _HUMAN_STATES and r.state_at is not None]
        if row.state != FindingState.OPEN.value or not reviewed:
            return
        decided_at, latest = max(reviewed, key=lambda pair: pair[0])
        if row.state_at is not None and decided_at <= row.state_at:
            return
        row.state, row.state_reason, row.state_by = latest.state, latest.state_reason, latest.state_by
        row.state_at, row.snoozed_until = latest.state_at, latest.snoozed_until


def _family_key(rule_id: str, subjects: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    return rule_family(rule_id), tuple(sorted(subjects))


def _new_row(program_id: str, finding: Finding, now: datetime) -> FindingRow:
    return FindingRow(
        program_id=program_id,
        key=finding.key,
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


def _refresh(row: FindingRow, finding: Finding, now: datetime) -> bool:
    """Bring a stored finding up to this scan; reopen it when its resolution or snooze no longer
    holds. Returns whether it reopened."""
    row.severity = finding.severity.value
    row.message = finding.message
    row.subjects = list(finding.subjects)
    row.values = dict(finding.values)
    row.measures = dict(finding.measures)
    row.suggested_action = finding.suggested_action
    row.facts_hash = finding.facts_hash
    row.last_seen_at = now
    row.active = True
    resolved_facts_changed = (
        row.state == FindingState.RESOLVED.value and row.resolved_facts_hash != finding.facts_hash
    )
    snooze_over = (
        row.state == FindingState.SNOOZED.value and row.snoozed_until is not None and row.snoozed_until <= now
    )
    if not (resolved_facts_changed or snooze_over):
        return False
    row.state = FindingState.OPEN.value
    row.state_reason = "reopened: facts changed" if row.snoozed_until is None else "reopened: snooze ended"
    row.state_by = "pilot"
    row.state_at = now
    row.snoozed_until = None
    return True


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
