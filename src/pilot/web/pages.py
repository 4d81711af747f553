"""The pages: log in, programs, anomalies dashboard, review queue, transcript upload with live
drafts, search with citations, documents with highlighted evidence, and the audit log.

Pages call the same pipeline functions as the API and enforce the same roles: no role on a
program is a 404 page, too low a role is a 403 page, and the buttons a role cannot use are not
shown. Every form posts a CSRF token derived from the session.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from pilot.api.deps import SESSION_COOKIE, RowId, check_access, get_pilot
from pilot.domain.auth import Principal, Role
from pilot.domain.drafts import DraftStatus
from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.findings import FindingState
from pilot.pipeline import review
from pilot.pipeline.anomalies import anomalies, current_kpis, kpi_trends, scan_program, set_finding_state
from pilot.pipeline.context import Pilot
from pilot.pipeline.programs import programs
from pilot.store.audit import list_events, verify_chain
from pilot.store.documents import get_document_row, list_document_rows, to_document
from pilot.web.charts import sparkline
from pilot.web.session import csrf_ok, csrf_token, current_principal

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
router = APIRouter(include_in_schema=False)
Csrf = Annotated[str | None, Form(alias="csrf")]


class _Redirect(Exception):
    def __init__(self, url: str) -> None:
        self.url = url


def _session(
    request: Request, program_id: str | None = None, needed: Role = Role.VIEWER
) -> tuple[Pilot, Principal, Role | None]:
    principal = current_principal(request)
    if principal is None:
        raise _Redirect(f"/login?next={request.url.path}")
    pilot = dataclasses.replace(get_pilot(request), actor=principal.actor)
    role = check_access(principal, program_id, needed).role if program_id else None
    return pilot, principal, role


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    token = request.cookies.get(SESSION_COOKIE)
    context.setdefault("csrf", csrf_token(token) if token else "")
    context.setdefault("today", date.today())
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status_code)


def page(handler: Any) -> Any:
    """Turn redirects and PilotErrors into pages (the API's JSON errors are for the API)."""
    import functools
    import inspect

    @functools.wraps(handler)
    async def wrapper(*args: Any, **kwargs: Any) -> Response:
        request: Request = kwargs["request"]
        try:
            result = handler(*args, **kwargs)
            if inspect.isawaitable(result):
                result = await result
            return result  # type: ignore[no-any-return]
        except _Redirect as redirect:
            return RedirectResponse(redirect.url, status_code=303)
        except PilotError as exc:
            return render(request, "error.html", status_code=exc.code.http_status, error=exc)

    return wrapper


def _check_csrf(request: Request, submitted: str | None) -> None:
    if not csrf_ok(request, submitted):
        raise PilotError(ErrorCode.FORBIDDEN, "the form expired or came from another site; reload the page")


def _back(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# --- session -------------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:  # noqa: A002 - the query name
    return render(request, "login.html", next=next if next.startswith("/") else "/")


@router.post("/login")
def login(request: Request, token: Annotated[str, Form()], next: Annotated[str, Form()] = "/") -> Response:  # noqa: A002
    pilot = get_pilot(request)
    from pilot.store.auth import authenticate

    with pilot.db.transaction() as session:
        principal = authenticate(session, token.strip(), pilot.now())
    if principal is None:
        return render(
            request,
            "login.html",
            status_code=401,
            next=next,
            error="That token is unknown, revoked or expired.",
        )
    response = _back(next if next.startswith("/") and not next.startswith("//") else "/")
    response.set_cookie(SESSION_COOKIE, token.strip(), httponly=True, samesite="strict", max_age=8 * 3600,
                        secure=request.url.scheme == "https")  # fmt: skip
    return response


@router.post("/logout")
def logout() -> Response:
    response = _back("/login")
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/", response_class=HTMLResponse)
@page
def home(request: Request) -> HTMLResponse:
    pilot, principal, _ = _session(request)
    visible = [p for p in programs(pilot) if principal.role_on(p.id) is not None]
    return render(request, "home.html", principal=principal, programs=visible,
                  roles={p.id: principal.role_on(p.id) for p in visible})  # fmt: skip


# --- anomalies -----------------------------------------------------------------------------------


@router.get("/p/{program_id}/anomalies", response_class=HTMLResponse)
@page
def anomalies_page(request: Request, program_id: str) -> HTMLResponse:
    pilot, principal, role = _session(request, program_id)
    findings = anomalies(pilot, program_id)
    kpis = current_kpis(pilot, program_id)
    trends = {s.kpi_id: s for s in kpi_trends(pilot, program_id)}
    charts = {k.kpi_id: sparkline([(p.taken_at, p.value) for p in trends[k.kpi_id].points], ratio=k.unit == "ratio")
              if k.kpi_id in trends else sparkline([]) for k in kpis}  # fmt: skip
    counts = {
        s: sum(1 for f in findings if f.finding.severity.value == s) for s in ("error", "warning", "info")
    }
    return render(request, "anomalies.html", program_id=program_id, principal=principal, role=role,
                  findings=findings, kpis=kpis, charts=charts, counts=counts,
                  can_edit=role is not None and role.allows(Role.EDITOR))  # fmt: skip


@router.post("/p/{program_id}/scan")
@page
def scan_action(request: Request, program_id: str, csrf: Csrf = None) -> Response:
    pilot, _, _ = _session(request, program_id, Role.EDITOR)
    _check_csrf(request, csrf)
    scan_program(pilot, program_id)
    return _back(f"/p/{program_id}/anomalies")


@router.post("/p/{program_id}/findings/{finding_id}")
@page
def finding_action(
    request: Request, program_id: str, finding_id: RowId, state: Annotated[FindingState, Form()],
    reason: Annotated[str, Form(min_length=1, max_length=2000)], csrf: Csrf = None, days: Annotated[int, Form()] = 7,
) -> Response:  # fmt: skip
    pilot, _, _ = _session(request, program_id, Role.EDITOR)
    _check_csrf(request, csrf)
    until = pilot.now() + timedelta(days=days) if state == FindingState.SNOOZED else None
    set_finding_state(pilot, program_id, finding_id, state, reason=reason, until=until)
    return _back(f"/p/{program_id}/anomalies#finding-{finding_id}")


# --- review queue --------------------------------------------------------------------------------


@router.get("/p/{program_id}/review", response_class=HTMLResponse)
@page
def review_page(
    request: Request, program_id: str, status: DraftStatus = DraftStatus.PENDING, job: str | None = None
) -> HTMLResponse:
    pilot, principal, role = _session(request, program_id)
    drafts = review.list_drafts(pilot, program_id, status=status, job_id=job)
    people = review_people(pilot, program_id)
    return render(request, "review.html", program_id=program_id, principal=principal, role=role, drafts=drafts,
                  status=status.value, people=people, can_edit=role is not None and role.allows(Role.EDITOR),
                  can_approve=role is not None and role.allows(Role.APPROVER), job=job)  # fmt: skip


def review_people(pilot: Pilot, program_id: str) -> dict[str, str]:
    from pilot.pipeline.programs import get_program

    return {p.id: p.name for p in get_program(pilot, program_id).people}


@router.post("/p/{program_id}/drafts/{draft_id}/{action}")
@page
def draft_action(
    request: Request, program_id: str, draft_id: str, action: str, csrf: Csrf = None,
    reason: Annotated[str | None, Form()] = None, owner_id: Annotated[str | None, Form()] = None,
    task: Annotated[str | None, Form()] = None, due: Annotated[str | None, Form()] = None,
) -> Response:  # fmt: skip
    needed = Role.APPROVER if action in ("approve", "reject") else Role.EDITOR
    pilot, _, _ = _session(request, program_id, needed)
    _check_csrf(request, csrf)
    if action == "approve":
        review.approve(pilot, program_id, draft_id, override_reason=reason or None)
    elif action == "reject":
        review.reject(pilot, program_id, draft_id, reason=reason or "rejected in review")
    elif action == "owner" and owner_id:
        review.choose_owner(pilot, program_id, draft_id, owner_id)
    elif action == "edit":
        current = review.get_draft(pilot, program_id, draft_id)
        payload = dict(current.payload)
        if task is not None and "task" in payload:
            payload["task"] = task
        if due is not None and "due" in payload:
            payload["due"] = due or None
        review.edit(pilot, program_id, draft_id, payload)
    else:
        raise PilotError(ErrorCode.INVALID_INPUT, f"unknown action {action!r}")
    return _back(f"/p/{program_id}/review#draft-{draft_id}")


@router.post("/p/{program_id}/bulk-approve")
@page
def bulk_action(request: Request, program_id: str, csrf: Csrf = None) -> Response:
    pilot, _, _ = _session(request, program_id, Role.APPROVER)
    _check_csrf(request, csrf)
    review.bulk_approve(pilot, program_id)
    return _back(f"/p/{program_id}/review")


# --- transcripts and jobs ------------------------------------------------------------------------


@router.get("/p/{program_id}/transcripts", response_class=HTMLResponse)
@page
def transcripts_page(request: Request, program_id: str) -> HTMLResponse:
    pilot, principal, role = _session(request, program_id, Role.EDITOR)
    with pilot.db.transaction() as session:
        rows = list_document_rows(session, program_id)
        recent = [(r.id, r.title, r.kind, r.stored_at) for r in rows[-20:]][::-1]
    return render(
        request, "transcripts.html", program_id=program_id, principal=principal, role=role, recent=recent
    )


@router.post("/p/{program_id}/transcripts")
@page
async def transcript_submit(
    request: Request, program_id: str, csrf: Csrf = None, text: Annotated[str | None, Form()] = None,
    file: Annotated[UploadFile | None, File()] = None, meeting_date: Annotated[str | None, Form()] = None,
) -> Response:  # fmt: skip
    pilot, _, _ = _session(request, program_id, Role.EDITOR)
    _check_csrf(request, csrf)
    from pilot.pipeline.extract import submit_extraction

    limit = pilot.settings.max_transcript_bytes
    if file is not None and file.filename:
        data, name = await file.read(limit + 1), file.filename
    elif text and text.strip():
        data, name = text.encode("utf-8"), "pasted.txt"
    else:
        raise PilotError(ErrorCode.INVALID_INPUT, "paste a transcript or choose a file")
    if len(data) > limit:
        raise PilotError(
            ErrorCode.INVALID_INPUT, f"the transcript is larger than {limit // (1024 * 1024)} MB"
        )
    when = date.fromisoformat(meeting_date) if meeting_date else None
    submission = submit_extraction(pilot, request.app.state.runner, program_id, data, name, meeting_date=when)
    return _back(f"/p/{program_id}/jobs/{submission.job.id}")


@router.get("/p/{program_id}/jobs/{job_id}", response_class=HTMLResponse)
@page
def job_page(request: Request, program_id: str, job_id: str, fragment: bool = False) -> HTMLResponse:
    pilot, principal, role = _session(request, program_id)
    job = request.app.state.runner.get(job_id, program_id)
    drafts = (
        review.list_drafts(pilot, program_id, status=None, job_id=job_id)
        if job.status.value == "succeeded"
        else []
    )
    template = "job_fragment.html" if fragment or request.headers.get("HX-Request") else "job.html"
    return render(
        request, template, program_id=program_id, principal=principal, role=role, job=job, drafts=drafts
    )


# --- search, documents, audit --------------------------------------------------------------------


@router.get("/p/{program_id}/ask", response_class=HTMLResponse)
@page
def ask_page(request: Request, program_id: str, q: str = "") -> HTMLResponse:
    pilot, principal, role = _session(request, program_id)
    answer = None
    if q.strip():
        from pilot.pipeline.ask import ask

        answer = ask(pilot, program_id, q[:1000])
    with pilot.db.transaction() as session:
        ids = {f"{r.source}:{r.external_id}": r.id for r in list_document_rows(session, program_id)}
    return render(
        request,
        "ask.html",
        program_id=program_id,
        principal=principal,
        role=role,
        q=q,
        answer=answer,
        doc_ids=ids,
    )


@router.get("/p/{program_id}/documents/{document_id}", response_class=HTMLResponse)
@page
def document_page(
    request: Request, program_id: str, document_id: RowId, turn: int | None = None, quote: str = ""
) -> HTMLResponse:
    pilot, principal, role = _session(request, program_id)
    with pilot.db.transaction() as session:
        doc = to_document(get_document_row(session, program_id, document_id))
    return render(request, "document.html", program_id=program_id, principal=principal, role=role, doc=doc,
                  turn=turn, quote=quote.strip()[:500])  # fmt: skip


@router.get("/p/{program_id}/audit", response_class=HTMLResponse)
@page
def audit_page(request: Request, program_id: str, verify: bool = False) -> HTMLResponse:
    pilot, principal, role = _session(request, program_id)
    report = None
    with pilot.db.transaction() as session:
        events = list_events(session, program_id=program_id, limit=200)
        if verify:
            check_access(principal, program_id, Role.ADMIN)
            report = verify_chain(session)
    return render(request, "audit.html", program_id=program_id, principal=principal, role=role, events=events,
                  report=report, is_admin=role is not None and role.allows(Role.ADMIN), now=datetime.now())  # fmt: skip


# --- status drafts -------------------------------------------------------------------------------


@router.get("/p/{program_id}/status", response_class=HTMLResponse)
@page
def status_list_page(request: Request, program_id: str) -> HTMLResponse:
    from pilot.domain.drafts import DraftKind

    pilot, principal, role = _session(request, program_id)
    drafts = review.list_drafts(pilot, program_id, status=None, kind=DraftKind.STATUS_UPDATE)
    return render(request, "status_list.html", program_id=program_id, principal=principal, role=role,
                  drafts=sorted(drafts, key=lambda d: d.created_at, reverse=True),
                  can_edit=role is not None and role.allows(Role.EDITOR))  # fmt: skip


@router.post("/p/{program_id}/status")
@page
def status_create(
    request: Request, program_id: str, audience: Annotated[str, Form()] = "exec", csrf: Csrf = None
) -> Response:
    from pilot.pipeline.status import create_status_draft

    pilot, _, _ = _session(request, program_id, Role.EDITOR)
    _check_csrf(request, csrf)
    if audience not in ("exec", "engineering", "product"):
        raise PilotError(ErrorCode.INVALID_INPUT, f"unknown audience {audience!r}")
    result = create_status_draft(pilot, program_id, audience)  # type: ignore[arg-type]
    return _back(f"/p/{program_id}/status/{result.draft.id}")


@router.get("/p/{program_id}/status/{draft_id}", response_class=HTMLResponse)
@page
def status_editor_page(request: Request, program_id: str, draft_id: str) -> HTMLResponse:
    pilot, principal, role = _session(request, program_id)
    draft = review.get_draft(pilot, program_id, draft_id)
    return render(request, "status_editor.html", program_id=program_id, principal=principal, role=role, draft=draft,
                  findings=draft.findings, can_edit=role is not None and role.allows(Role.EDITOR),
                  can_approve=role is not None and role.allows(Role.APPROVER))  # fmt: skip


@router.post("/p/{program_id}/status/{draft_id}/check", response_class=HTMLResponse)
@page
def status_live_check(
    request: Request, program_id: str, draft_id: str, body: Annotated[str, Form()] = ""
) -> HTMLResponse:
    """Live grounding: check the text being edited without saving it."""
    from pilot.domain.status import StatusDraft
    from pilot.rules.grounding import check_status_draft

    pilot, _, _ = _session(request, program_id)
    draft = review.get_draft(pilot, program_id, draft_id)
    status = StatusDraft.model_validate(draft.payload).model_copy(update={"body": body[:50_000]})
    from pilot.pipeline.programs import get_program

    directory = [p.name for p in get_program(pilot, program_id).people]
    return render(request, "status_findings.html", findings=check_status_draft(status, directory))


@router.post("/p/{program_id}/status/{draft_id}/save")
@page
def status_save(
    request: Request, program_id: str, draft_id: str, body: Annotated[str, Form()], csrf: Csrf = None
) -> Response:
    pilot, _, _ = _session(request, program_id, Role.EDITOR)
    _check_csrf(request, csrf)
    current = review.get_draft(pilot, program_id, draft_id)
    review.edit(pilot, program_id, draft_id, {**current.payload, "body": body[:50_000]})
    return _back(f"/p/{program_id}/status/{draft_id}")
