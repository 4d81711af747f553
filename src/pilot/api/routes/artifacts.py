"""Artifact drafts over HTTP: draft a charter, readiness checklist, cutover plan or RAID export
from the program's data (into the review queue); list them; export one as Markdown or HTML."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from pilot.api.deps import CanEdit, CanView, PilotDep
from pilot.domain.artifacts import ArtifactKind
from pilot.pipeline.artifacts import ArtifactResult, create_artifact_draft, export_artifact, list_artifacts

router = APIRouter(tags=["artifacts"])


class ArtifactRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: ArtifactKind
    release: str | None = Field(default=None, max_length=64, description="Milestone id (readiness, cutover).")


class ArtifactListItem(BaseModel):
    draft_id: str
    kind: ArtifactKind
    title: str
    status: str
    created_at: datetime
    findings: int
    errors: int


@router.post("/programs/{program_id}/artifacts", status_code=201)
def create_artifact_route(
    program_id: str, body: ArtifactRequest, _scope: CanEdit, pilot: PilotDep
) -> ArtifactResult:
    """Rendered from the data of record and checked against it; waits in the review queue."""
    return create_artifact_draft(pilot, program_id, body.kind, release=body.release)


@router.get("/programs/{program_id}/artifacts")
def list_artifacts_route(program_id: str, _scope: CanView, pilot: PilotDep) -> list[ArtifactListItem]:
    return [
        ArtifactListItem(
            draft_id=d.id,
            kind=a.kind,
            title=a.title,
            status=d.status.value,
            created_at=d.created_at,
            findings=len(d.findings),
            errors=sum(f.severity.value == "error" for f in d.findings),
        )
        for d, a in list_artifacts(pilot, program_id)
    ]


@router.get("/programs/{program_id}/artifacts/{draft_id}/export", response_class=PlainTextResponse)
def export_artifact_route(
    program_id: str,
    draft_id: str,
    _scope: CanView,
    pilot: PilotDep,
    format: Literal["md", "html"] = "md",  # noqa: A002
) -> PlainTextResponse:
    media = "text/markdown" if format == "md" else "text/html"
    return PlainTextResponse(
        export_artifact(pilot, program_id, draft_id, format),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="artifact-{draft_id[:8]}.{format}"'},
    )
