"""Anomalies and KPIs of a program; state changes on findings."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from pilot.api.deps import CanEdit, CanView, PilotDep, RowId, RunnerDep, WaitParam, job_answer
from pilot.domain.findings import FindingState, KpiValue, StoredFinding
from pilot.domain.jobs import Job
from pilot.pipeline.anomalies import (
    KpiSeries,
    ScanReport,
    anomalies,
    current_kpis,
    kpi_trends,
    set_finding_state,
)
from pilot.pipeline.job_kinds import SCAN_JOB

router = APIRouter(tags=["anomalies"])


class FindingStateChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: Literal["acknowledged", "resolved", "snoozed"]
    reason: str = Field(min_length=1, max_length=2000)
    until: AwareDatetime | None = None


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


@router.post(
    "/programs/{program_id}/anomalies/scan",
    response_model=ScanReport,
    responses={202: {"model": Job, "description": "Still running after `wait` seconds: poll the job."}},
)
def scan_route(
    program_id: str, _scope: CanEdit, pilot: PilotDep, runner: RunnerDep, wait: WaitParam = None
) -> ScanReport | JSONResponse:
    """Run every detector and KPI (as a job) and answer with the findings."""
    job = runner.submit(SCAN_JOB, program_id, {}, actor=pilot.actor)
    return job_answer(runner, job, wait, ScanReport)


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
