"""Home: one dashboard per program the user has a role on (the week at a glance, linking to the
pages where the work is done)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from pilot.pipeline.dashboard import program_dashboard
from pilot.pipeline.programs import programs
from pilot.pipeline.records import record_titles
from pilot.web.labels import rule_label
from pilot.web.pages import _session, page, render
from pilot.web.record_pages import record_url

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
@page
def home(request: Request) -> HTMLResponse:
    pilot, principal, _ = _session(request)
    visible = [p for p in programs(pilot) if principal.role_on(p.id) is not None]
    boards = [program_dashboard(pilot, p.id) for p in visible]
    return render(
        request,
        "home.html",
        principal=principal,
        boards=boards,
        roles={p.id: principal.role_on(p.id) for p in visible},
        titles={p.id: record_titles(pilot, p.id) for p in visible},
        rule_label=rule_label,
        record_url=record_url,
    )
