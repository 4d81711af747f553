"""Write-back over HTTP: push an approved action item to Jira/GitHub; notify Slack of findings."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from pilot.api.deps import CanApprove, PilotDep, RunnerDep, WaitParam, job_answer
from pilot.domain.jobs import Job
from pilot.pipeline.job_kinds import NOTIFY_JOB, PUSH_JOB
from pilot.pipeline.review import get_draft
from pilot.pipeline.writeback import NotifyResult, PushResult

LATER: dict[int | str, dict[str, Any]] = {
    202: {"model": Job, "description": "Still running after `wait` seconds: poll the job."}
}

router = APIRouter(tags=["write-back"])


@router.post("/programs/{program_id}/drafts/{draft_id}/push", response_model=PushResult, responses=LATER)
def push_route(
    program_id: str,
    draft_id: str,
    _scope: CanApprove,
    pilot: PilotDep,
    runner: RunnerDep,
    target: Literal["jira", "github", "slack"] = "jira",
    wait: WaitParam = None,
) -> PushResult | JSONResponse:
    """Create the approved record at the target once (as a job; a repeated push finds the link)."""
    get_draft(pilot, program_id, draft_id)  # 404 before anything is queued
    job = runner.submit(PUSH_JOB, program_id, {"draft_id": draft_id, "target": target}, actor=pilot.actor)
    return job_answer(runner, job, wait, PushResult)


@router.post("/programs/{program_id}/notify", response_model=NotifyResult, responses=LATER)
def notify_route(
    program_id: str, _scope: CanApprove, pilot: PilotDep, runner: RunnerDep, wait: WaitParam = None
) -> NotifyResult | JSONResponse:
    """Post new warnings to Slack, once each (as a job)."""
    job = runner.submit(NOTIFY_JOB, program_id, {}, actor=pilot.actor)
    return job_answer(runner, job, wait, NotifyResult)
