"""Anomalies and KPIs of a program; state changes on findings."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from pilot.api.deps import CanEdit, CanView, PilotDep, RowId
from pilot.domain.findings import FindingState, KpiValue, StoredFinding
from pilot.pipeline.anomalies import (
    KpiSeries,
    ScanReport,
    anomalies,
    current_kpis,
    kpi_trends,
    scan_program,
    set_finding_state,
)

router = APIRouter(tags=["anomalies"])


class FindingStateChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: Literal["acknowledged", "resolved", "snoozed"]
    reason: str = Field(min_length=1, max_length=2000)
    until: datetime | None = None


class KpiReport(BaseModel):
    program_id: str
    kpis: list[KpiValue]
    trends: list[KpiSeries]


@router.get("/programs/{program_id}/anomalies")
def list_anomalies_route(
    program_id: str,
    _scope: CanView,
    pilot: PilotDep,
    include_inactive: bool = False,
    state: list[FindingState] | None = Query(default=None),
) -> list[StoredFinding]:
    return anomalies(pilot, program_id, include_inactive=include_inactive, states=state)


@router.post("/programs/{program_id}/anomalies/scan")
def scan_route(program_id: str, _scope: CanEdit, pilot: PilotDep) -> ScanReport:
    return scan_program(pilot, program_id)


@router.post("/programs/{program_id}/anomalies/{finding_id}/state")
def change_state_route(
    program_id: str, finding_id: RowId, change: FindingStateChange, _scope: CanEdit, pilot: PilotDep
) -> StoredFinding:
    return set_finding_state(
        pilot, program_id, finding_id, FindingState(change.state), reason=change.reason, until=change.until
    )


@router.get("/programs/{program_id}/kpis")
def kpis_route(program_id: str, _scope: CanView, pilot: PilotDep) -> KpiReport:
    return KpiReport(
        program_id=program_id, kpis=current_kpis(pilot, program_id), trends=kpi_trends(pilot, program_id)
    )
