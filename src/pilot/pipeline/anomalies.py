"""Review flagged anomalies: scan a program, keep findings and KPI samples, change finding states."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy.orm import Session

from pilot.domain.findings import FindingState, KpiValue, StoredFinding
from pilot.pipeline.context import Pilot
from pilot.pipeline.schedule import forecast_seed, stored_work_items
from pilot.pipeline.signals import load_signals
from pilot.review.anomalies import change_state
from pilot.rules.detectors import ScanResult, scan
from pilot.rules.signals import scan_signals
from pilot.store.findings import ReconcileSummary, kpi_history, list_findings, reconcile, record_kpis
from pilot.store.programs import load_program


class ScanReport(BaseModel):
    program_id: str
    scanned_at: datetime
    summary: ReconcileSummary
    findings: list[StoredFinding]
    kpis: list[KpiValue]


class KpiPoint(BaseModel):
    taken_at: datetime
    value: float | None
    status: str


class KpiSeries(BaseModel):
    kpi_id: str
    points: list[KpiPoint]


def _scan_all(
    session: Session, program_id: str, now: datetime | None, pilot: Pilot
) -> tuple[ScanResult, datetime]:
    """The record detectors, then the meeting and delivery signal detectors, as of `now` (default:
    the program's as-of moment)."""
    data = load_program(session, program_id)
    now = now or pilot.as_of(data.program)
    work = stored_work_items(session, program_id, data.program.timezone)
    records = scan(data, now, work=work, seed=forecast_seed(program_id))
    signals = scan_signals(data.program, load_signals(session, program_id, data), now)
    return ScanResult(findings=records.findings + signals.findings, kpis=records.kpis + signals.kpis), now


def scan_program(pilot: Pilot, program_id: str, *, now: datetime | None = None) -> ScanReport:
    """Run every detector and KPI on the program's current data and persist the outcome."""
    with pilot.db.transaction() as session:
        result, now = _scan_all(session, program_id, now, pilot)
        summary = reconcile(session, program_id, result.findings, now)
        record_kpis(session, program_id, result.kpis, now)
        stored = list_findings(session, program_id)
    return ScanReport(
        program_id=program_id, scanned_at=now, summary=summary, findings=stored, kpis=result.kpis
    )


def current_kpis(pilot: Pilot, program_id: str, *, now: datetime | None = None) -> list[KpiValue]:
    """KPIs computed from the data as it is now (reads only; a scan also records them)."""
    with pilot.db.reading() as session:
        return _scan_all(session, program_id, now, pilot)[0].kpis


def current_scan(pilot: Pilot, program_id: str) -> tuple[ScanResult, datetime]:
    """Every finding and KPI of the program's data as of its as-of moment (reads only)."""
    with pilot.db.reading() as session:
        return _scan_all(session, program_id, None, pilot)


def kpi_trends(pilot: Pilot, program_id: str) -> list[KpiSeries]:
    with pilot.db.reading() as session:
        load_program(session, program_id)  # 404 for an unknown program
        rows = kpi_history(session, program_id)
    series: dict[str, list[KpiPoint]] = {}
    for row in reversed(rows):
        series.setdefault(row.kpi_id, []).append(
            KpiPoint(taken_at=row.taken_at, value=row.value, status=row.status)
        )
    return [KpiSeries(kpi_id=k, points=v) for k, v in sorted(series.items())]


def anomalies(
    pilot: Pilot, program_id: str, *, include_inactive: bool = False, states: list[FindingState] | None = None
) -> list[StoredFinding]:
    with pilot.db.reading() as session:
        load_program(session, program_id)
        return list_findings(session, program_id, include_inactive=include_inactive, states=states)


def set_finding_state(
    pilot: Pilot,
    program_id: str,
    finding_id: int,
    state: FindingState,
    *,
    reason: str,
    until: datetime | None = None,
) -> StoredFinding:
    with pilot.db.transaction() as session:
        return change_state(
            session,
            program_id=program_id,
            finding_id=finding_id,
            new_state=state,
            actor=pilot.actor,
            reason=reason,
            now=pilot.now(),
            snoozed_until=until,
        )
