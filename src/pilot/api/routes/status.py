"""Status drafts over HTTP: create one for an audience; export a status draft."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict

from pilot.api.deps import CanEdit, CanView, PilotDep
from pilot.pipeline.status import StatusResult, create_status_draft, export_status

router = APIRouter(tags=["status"])


class StatusRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    audience: Literal["exec", "engineering", "product"] = "exec"


@router.post("/programs/{program_id}/status", status_code=201)
def create_status_route(
    program_id: str, body: StatusRequest, _scope: CanEdit, pilot: PilotDep
) -> StatusResult:
    return create_status_draft(pilot, program_id, body.audience)


@router.get("/programs/{program_id}/drafts/{draft_id}/export", response_class=PlainTextResponse)
def export_status_route(
    program_id: str,
    draft_id: str,
    _scope: CanView,
    pilot: PilotDep,
    format: Literal["md", "html", "slack"] = "md",  # noqa: A002
) -> PlainTextResponse:
    media = {"md": "text/markdown", "html": "text/html", "slack": "text/plain"}[format]
    return PlainTextResponse(export_status(pilot, program_id, draft_id, format), media_type=media)
