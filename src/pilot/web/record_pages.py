"""The record page: one page per program record (its fields with links, history, linked records,
source documents and audit events), and the ask page whose answers link to it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from pilot.pipeline.records import record_page
from pilot.web.pages import _session, page, render

router = APIRouter(include_in_schema=False)


def record_url(program_id: str, record_ref: str) -> str:
    record_type, _, record_id = record_ref.partition(":")
    return f"/p/{program_id}/records/{record_type}/{record_id}"


@router.get("/p/{program_id}/records/{record_type}/{record_id}", response_class=HTMLResponse)
@page
def record_view(request: Request, program_id: str, record_type: str, record_id: str) -> HTMLResponse:
    pilot, principal, role = _session(request, program_id)
    detail = record_page(pilot, program_id, record_type, record_id)
    return render(
        request,
        "record.html",
        program_id=program_id,
        principal=principal,
        role=role,
        record=detail,
        as_of=detail.as_of,
        record_url=record_url,
    )
