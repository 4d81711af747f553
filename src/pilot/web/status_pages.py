"""The status editor: the draft's Markdown beside its rendered preview, live grounding while
typing, Save, and Approve that saves the text in the editor first (typed text is never dropped:
it is saved, or the page says why not and hands it back); exports download as files."""

from __future__ import annotations

import re
from typing import Annotated, get_args
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from pilot.domain.auth import Role
from pilot.domain.drafts import Draft, DraftKind, DraftStatus
from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.findings import Severity
from pilot.domain.status import Audience
from pilot.pipeline import review
from pilot.pipeline.context import Pilot
from pilot.pipeline.programs import get_program
from pilot.pipeline.status import create_status_draft, export_status, replaced_by
from pilot.web.markdown import markdown_html
from pilot.web.pages import _back, _session, page, render

router = APIRouter(include_in_schema=False)
AUDIENCES: tuple[Audience, ...] = get_args(Audience)
MAX_BODY = 50_000
DOWNLOADS = {"md": ("text/markdown", "md"), "html": ("text/html", "html"), "slack": ("text/plain", "txt")}
NOTICES = {
    "saved": "Saved and re-checked.",
    "approved": "Approved.",
    "approved-saved": "Your edits were saved, then the update was approved.",
    "needs-reason": "Your text is saved. It has error findings (listed under Grounding): give an override "
    "reason to approve it anyway, or fix the text.",
}


def _status_draft(pilot: Pilot, program_id: str, draft_id: str) -> Draft:
    draft = review.get_draft(pilot, program_id, draft_id)
    if draft.kind != DraftKind.STATUS_UPDATE:
        raise PilotError(ErrorCode.NOT_FOUND, f"draft {draft_id} is not a status update")
    return draft


def _typed(body: str) -> str:
    """The text as typed: browsers send a textarea's line ends as CRLF; nothing is cut."""
    text = body.replace("\r\n", "\n")
    if len(text) > MAX_BODY:
        raise PilotError(
            ErrorCode.INVALID_INPUT,
            f"the update is {len(text):,} characters, more than {MAX_BODY:,}: shorten it (nothing was saved)",
        )
    return text


def _editor(request: Request, program_id: str, draft_id: str, unsaved: str | None = None) -> HTMLResponse:
    pilot, principal, role = _session(request, program_id)
    draft = _status_draft(pilot, program_id, draft_id)
    successor = replaced_by(pilot, program_id, draft.id) if draft.status == DraftStatus.SUPERSEDED else None
    return render(
        request,
        "status_editor.html",
        program_id=program_id,
        principal=principal,
        role=role,
        draft=draft,
        findings=draft.findings,
        notice=NOTICES.get(request.query_params.get("notice", "")),
        successor=successor,
        unsaved=unsaved,
        preview=markdown_html(str(draft.payload.get("body", ""))),
        has_errors=any(f.severity == Severity.ERROR for f in draft.findings),
        can_edit=role is not None and role.allows(Role.EDITOR),
        can_approve=role is not None and role.allows(Role.APPROVER),
    )


@router.get("/p/{program_id}/status", response_class=HTMLResponse)
@page
def status_list_page(request: Request, program_id: str) -> HTMLResponse:
    pilot, principal, role = _session(request, program_id)
    drafts = review.list_drafts(pilot, program_id, status=None, kind=DraftKind.STATUS_UPDATE)
    return render(
        request,
        "status_list.html",
        program_id=program_id,
        principal=principal,
        role=role,
        drafts=sorted(drafts, key=lambda d: d.created_at, reverse=True),
        zone=ZoneInfo(get_program(pilot, program_id).program.timezone),
        can_edit=role is not None and role.allows(Role.EDITOR),
    )


@router.post("/p/{program_id}/status")
@page
def status_create(request: Request, program_id: str, audience: Annotated[str, Form()] = "exec") -> Response:
    """Draft an update for an audience; it replaces that audience's pending draft, if any."""
    pilot, _, _ = _session(request, program_id, Role.EDITOR)
    chosen = next((a for a in AUDIENCES if a == audience), None)
    if chosen is None:
        raise PilotError(ErrorCode.INVALID_INPUT, f"unknown audience {audience!r}")
    result = create_status_draft(pilot, program_id, chosen)
    return _back(f"/p/{program_id}/status/{result.draft.id}")


@router.get("/p/{program_id}/status/{draft_id}", response_class=HTMLResponse)
@page
def status_editor_page(request: Request, program_id: str, draft_id: str) -> HTMLResponse:
    return _editor(request, program_id, draft_id)


@router.post("/p/{program_id}/status/{draft_id}/check", response_class=HTMLResponse)
@page
def status_live_check(
    request: Request, program_id: str, draft_id: str, body: Annotated[str, Form()] = ""
) -> HTMLResponse:
    """Live grounding: check the text being edited without saving it."""
    from pilot.pipeline.status import check_status_text, status_of

    pilot, _, _ = _session(request, program_id)
    draft = _status_draft(pilot, program_id, draft_id)
    status = status_of(draft).model_copy(update={"body": body[:MAX_BODY]})
    return render(request, "status_findings.html", findings=check_status_text(pilot, program_id, status))


@router.post("/p/{program_id}/status/{draft_id}/preview", response_class=HTMLResponse)
@page
def status_preview(
    request: Request, program_id: str, draft_id: str, body: Annotated[str, Form()] = ""
) -> HTMLResponse:
    """The rendered Markdown of the text being edited, without saving it."""
    pilot, _, _ = _session(request, program_id)
    _status_draft(pilot, program_id, draft_id)
    return HTMLResponse(markdown_html(body[:MAX_BODY].replace("\r\n", "\n")))


@router.post("/p/{program_id}/status/{draft_id}/save")
@page
def status_save(request: Request, program_id: str, draft_id: str, body: Annotated[str, Form()]) -> Response:
    pilot, _, _ = _session(request, program_id, Role.EDITOR)
    draft = _status_draft(pilot, program_id, draft_id)
    text = _typed(body)
    if draft.status != DraftStatus.PENDING:  # it left the queue meanwhile: hand the text back
        return _editor(request, program_id, draft_id, unsaved=text)
    review.edit(pilot, program_id, draft_id, {**draft.payload, "body": text})
    return _back(f"/p/{program_id}/status/{draft_id}?notice=saved")


@router.post("/p/{program_id}/status/{draft_id}/approve")
@page
def status_approve(
    request: Request,
    program_id: str,
    draft_id: str,
    body: Annotated[str | None, Form()] = None,
    reason: Annotated[str | None, Form()] = None,
) -> Response:
    """Approve what the editor shows: the text typed in it is saved (and re-checked) first."""
    pilot, _, _ = _session(request, program_id, Role.APPROVER)
    draft = _status_draft(pilot, program_id, draft_id)
    text = None if body is None else _typed(body)
    changed = text is not None and text != draft.payload.get("body")
    if draft.status != DraftStatus.PENDING:
        if changed:
            return _editor(request, program_id, draft_id, unsaved=text)
        raise PilotError(ErrorCode.CONFLICT, f"this update is already {draft.status.value}")
    if changed:
        draft = review.edit(pilot, program_id, draft_id, {**draft.payload, "body": text})
    override = (reason or "").strip() or None
    if override is None and any(f.severity == Severity.ERROR for f in draft.findings):
        return _back(f"/p/{program_id}/status/{draft_id}?notice=needs-reason")
    review.approve(pilot, program_id, draft_id, override_reason=override)
    return _back(f"/p/{program_id}/status/{draft_id}?notice={'approved-saved' if changed else 'approved'}")


@router.get("/p/{program_id}/status/{draft_id}/download.{fmt}")
@page
def status_download(request: Request, program_id: str, draft_id: str, fmt: str) -> Response:
    """An export as a file to save or attach, not a page that replaces the editor."""
    pilot, _, _ = _session(request, program_id)
    if fmt not in DOWNLOADS:
        raise PilotError(ErrorCode.NOT_FOUND, f"no {fmt!r} export: use md, html or slack")
    draft = _status_draft(pilot, program_id, draft_id)
    text = export_status(pilot, program_id, draft_id, fmt)
    media, suffix = DOWNLOADS[fmt]
    sheet = draft.payload.get("fact_sheet")
    as_of = sheet.get("as_of") if isinstance(sheet, dict) else None
    audience = draft.payload.get("audience", "update")
    stem = "-".join(str(part) for part in (program_id, "status", audience, as_of) if part)
    name = f"{re.sub(r'[^A-Za-z0-9._-]', '_', stem)}.{suffix}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(text, media_type=f"{media}; charset=utf-8", headers=headers)
