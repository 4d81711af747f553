"""Delivery signals and meetings over HTTP: queue a GitHub or Jira changelog pull; list meetings
with what they produced (the findings and KPIs themselves come with the anomalies)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter

from pilot.api.deps import CanEdit, CanView, PilotDep
from pilot.api.routes.extract import RunnerDep
from pilot.domain.jobs import Job
from pilot.domain.signals import MeetingOutcome
from pilot.pipeline.delivery import DELIVERY_JOB, check_delivery_source
from pilot.pipeline.signals import list_meetings

router = APIRouter(tags=["delivery"])


@router.post(
    "/programs/{program_id}/delivery/sync/{source}",
    status_code=202,
    responses={
        202: {"description": "Pull queued; poll `GET /programs/{id}/jobs/{job.id}` for its report."},
        409: {"description": "The source is not configured (credentials missing)."},
    },
)
def delivery_sync_route(
    program_id: str, source: Literal["github", "jira"], _scope: CanEdit, pilot: PilotDep, runner: RunnerDep
) -> Job:
    """GitHub: Actions runs on the default branch and pull requests with their first review.
    Jira: ticket states and their changelog. Incremental from the last pull."""
    check_delivery_source(pilot, program_id, source)
    return runner.submit(DELIVERY_JOB, program_id, {"source": source})


@router.get("/programs/{program_id}/meetings")
def meetings_route(program_id: str, _scope: CanView, pilot: PilotDep) -> list[MeetingOutcome]:
    """Meetings (stored transcripts and notes) by series, with the decisions and actions of record
    that came out of each."""
    return list_meetings(pilot, program_id)
