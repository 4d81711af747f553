"""People pages: who owes what across the program, and one person's "what I owe / what I'm owed"
with the weekly digest to download. Same roles as the API: a viewer may read them."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from pilot.domain.owe import KIND_NAMES
from pilot.pipeline.owe import digest, grouped, people_overview, person_report
from pilot.web.pages import _session, page, render

router = APIRouter(include_in_schema=False)
DOWNLOADS = {"md": ("text/markdown", "md"), "html": ("text/html", "html"), "slack": ("text/plain", "txt")}


@router.get("/p/{program_id}/people", response_class=HTMLResponse)
@page
def people_page(request: Request, program_id: str) -> HTMLResponse:
    pilot, principal, role = _session(request, program_id)
    loads = people_overview(pilot, program_id)
    return render(request, "people.html", program_id=program_id, principal=principal, role=role, loads=loads)


@router.get("/p/{program_id}/people/{person}/owe", response_class=HTMLResponse)
@page
def owe_page(request: Request, program_id: str, person: str) -> HTMLResponse:
    pilot, principal, role = _session(request, program_id)
    report = person_report(pilot, program_id, person)
    return render(
        request,
        "owe.html",
        program_id=program_id,
        principal=principal,
        role=role,
        r=report,
        owes_groups=grouped(report.owes),
        owed_groups=grouped(report.owed),
        kind_names=KIND_NAMES,
    )


@router.get("/p/{program_id}/people/{person}/digest.{fmt}")
@page
def digest_download(request: Request, program_id: str, person: str, fmt: str) -> Response:
    pilot, _, _ = _session(request, program_id)
    report = person_report(pilot, program_id, person)
    text = digest(report, fmt)
    media, suffix = DOWNLOADS[fmt]
    name = f"{report.person_id}-digest-{report.as_of}.{suffix}"
    return Response(text, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})
