"""Write-back over HTTP: push an approved action item to Jira/GitHub; notify Slack of findings."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter

from pilot.api.deps import CanApprove, PilotDep
from pilot.pipeline.writeback import NotifyResult, PushResult, notify_findings, push_approved

router = APIRouter(tags=["write-back"])


@router.post("/programs/{program_id}/drafts/{draft_id}/push")
def push_route(
    program_id: str,
    draft_id: str,
    _scope: CanApprove,
    pilot: PilotDep,
    target: Literal["jira", "github", "slack"] = "jira",
) -> PushResult:
    return push_approved(pilot, program_id, draft_id, target)


@router.post("/programs/{program_id}/notify")
def notify_route(program_id: str, _scope: CanApprove, pilot: PilotDep) -> NotifyResult:
    return notify_findings(pilot, program_id)
