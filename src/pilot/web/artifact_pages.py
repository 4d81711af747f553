"""Artifact pages: draft a charter, readiness checklist, cutover plan or RAID export from the
program's data, read it with its grounding findings, download it; approving happens in the queue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from pilot.domain.artifacts import ARTIFACT_KINDS, ARTIFACT_TITLES
from pilot.domain.auth import Role
from pilot.domain.errors import ErrorCode, PilotError
from pilot.pipeline.artifacts import (
    artifact_html,
    create_artifact_draft,
    export_artifact,
    get_artifact,
    list_artifacts,
)
from pilot.pipeline.programs import get_program
from pilot.web.pages import _back, _session, page, render

router = APIRouter(include_in_schema=False)


@router.get("/p/{program_id}/artifacts", response_class=HTMLResponse)
@page
def artifacts_page(request: Request, program_id: str) -> HTMLResponse:
    pilot, principal, role = _session(request, program_id)
    releases = sorted({r.release for r in get_program(pilot, program_id).readiness})
    return render(
        request,
        "artifacts.html",
        program_id=program_id,
        principal=principal,
        role=role,
        artifacts=list_artifacts(pilot, program_id),
        kinds=ARTIFACT_KINDS,
        titles=ARTIFACT_TITLES,
        releases=releases,
        can_edit=role is not None and role.allows(Role.EDITOR),
    )


@router.post("/p/{program_id}/artifacts")
@page
def artifact_create(
    request: Request,
    program_id: str,
    kind: Annotated[str, Form()],
    release: Annotated[str | None, Form()] = None,
) -> Response:
    pilot, _, _ = _session(request, program_id, Role.EDITOR)
    chosen = next((k for k in ARTIFACT_KINDS if k == kind), None)
    if chosen is None:
        raise PilotError(ErrorCode.INVALID_INPUT, f"unknown artifact {kind!r}")
    result = create_artifact_draft(pilot, program_id, chosen, release=release or None)
    return _back(f"/p/{program_id}/artifacts/{result.draft.id}")


@router.get("/p/{program_id}/artifacts/{draft_id}", response_class=HTMLResponse)
@page
def artifact_page(request: Request, program_id: str, draft_id: str) -> HTMLResponse:
    pilot, principal, role = _session(request, program_id)
    draft, artifact = get_artifact(pilot, program_id, draft_id)
    return render(
        request,
        "artifact.html",
        program_id=program_id,
        principal=principal,
        role=role,
        draft=draft,
        artifact=artifact,
        rendered=artifact_html(artifact),
    )


@router.get("/p/{program_id}/artifacts/{draft_id}/download.{fmt}")
@page
def artifact_download(request: Request, program_id: str, draft_id: str, fmt: str) -> Response:
    pilot, _, _ = _session(request, program_id)
    text = export_artifact(pilot, program_id, draft_id, fmt)
    _, artifact = get_artifact(pilot, program_id, draft_id)
    name = f"{program_id}-{artifact.kind}-{artifact.sheet.as_of}.{fmt}"
    media = "text/markdown" if fmt == "md" else "text/html"
    return Response(text, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})
