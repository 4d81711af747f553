"""The pages: log in, programs, anomalies dashboard, review queue, transcript upload with live
drafts, search with citations, documents with highlighted evidence, and the audit log.

Pages call the same pipeline functions as the API and enforce the same roles: no role on a
program is a 404 page, too low a role is a 403 page, and the buttons a role cannot use are not
shown. Every form posts a CSRF token derived from the session.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from pilot.api.deps import SESSION_COOKIE, RowId, check_access, get_pilot
from pilot.domain.auth import Principal, Role
from pilot.domain.drafts import DraftKind, DraftStatus
from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.jobs import JobStatus
from pilot.pipeline import review
from pilot.pipeline.access import authenticate_token
from pilot.pipeline.audit import audit_events, verify_audit
from pilot.pipeline.context import Pilot
from pilot.pipeline.documents import document_ids, get_document
from pilot.pipeline.ingest import list_documents
from pilot.pipeline.job_kinds import APPROVE_JOB
from pilot.pipeline.jobs import JobRunner, outcome_or_raise
from pilot.web.links import neutralize_links, web_href
from pilot.web.session import csrf_token, current_principal

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.filters["web_href"] = web_href
router = APIRouter(include_in_schema=False)


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
    context.setdefault("today", get_pilot(request).now().date())
    if context.get("program_id") and "as_of" not in context:
        from pilot.pipeline.records import program_as_of

        try:
            context["as_of"] = program_as_of(get_pilot(request), context["program_id"])
        except PilotError:
            context["as_of"] = None
    page = TEMPLATES.get_template(template).render({**context, "request": request})
    return HTMLResponse(neutralize_links(page), status_code=status_code)


def page(handler: Any) -> Any:
    """Turn redirects and PilotErrors into pages (the API's JSON errors are for the API).

    A plain (sync) handler runs in the thread pool, as FastAPI runs sync routes: its database and
    CPU work never holds the event loop (the wrapper itself has to be async for the async ones).
    """
    import functools
    import inspect

    from starlette.concurrency import run_in_threadpool

    from pilot.api.errors import INPUT_ERRORS, input_error, log_server_error

    is_async = inspect.iscoroutinefunction(handler)

    @functools.wraps(handler)
    async def wrapper(*args: Any, **kwargs: Any) -> Response:
        request: Request = kwargs["request"]
        try:
            if is_async:
                result = await handler(*args, **kwargs)
            else:
                result = await run_in_threadpool(handler, *args, **kwargs)
            return result  # type: ignore[no-any-return]
        except _Redirect as redirect:
            return RedirectResponse(redirect.url, status_code=303)
        except PilotError as exc:
            if exc.code.http_status >= 500:
                log_server_error(request, exc.__cause__ or exc, exc.code.http_status)
            return render(request, "error.html", status_code=exc.code.http_status, error=exc)
        except INPUT_ERRORS as exc:
            error = input_error(exc)
            return render(request, "error.html", status_code=error.code.http_status, error=error)

    return wrapper


def _back(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# --- session -------------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:  # noqa: A002 - the query name
    return render(request, "login.html", next=next if next.startswith("/") else "/")


@router.post("/login")
def login(request: Request, token: Annotated[str, Form()], next: Annotated[str, Form()] = "/") -> Response:  # noqa: A002
    pilot = get_pilot(request)
    principal = authenticate_token(pilot, token.strip())
    if principal is None:
        return render(
            request,
            "login.html",
            status_code=401,
            next=next,
            error="That token is unknown, revoked or expired.",
        )
    response = _back(next if next.startswith("/") and not next.startswith("//") else "/")
    response.set_cookie(
        SESSION_COOKIE,
        token.strip(),
        httponly=True,
        samesite="strict",
        max_age=8 * 3600,
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout")
def logout() -> Response:
    response = _back("/login")
    response.delete_cookie(SESSION_COOKIE)
    return response


# The home dashboard is in web/home_pages.py, the anomalies page in web/anomaly_pages.py.


# --- review queue --------------------------------------------------------------------------------


@router.get("/p/{program_id}/review", response_class=HTMLResponse)
@page
def review_page(
    request: Request,
    program_id: str,
    status: DraftStatus = DraftStatus.PENDING,
    job: str | None = None,
    kind: str | None = None,
    owner: str | None = None,
    finding: str | None = None,
    done: str | None = None,
    draft: str | None = None,
    approved: Annotated[int | None, Query(ge=0, le=100_000)] = None,
    skipped: Annotated[int | None, Query(ge=0, le=100_000)] = None,
) -> HTMLResponse:
    pilot, principal, role = _session(request, program_id)
    filters = review.QueueFilter.of({"kind": kind or "", "owner": owner or "", "finding": finding or ""})
    groups = review.queue_by_meeting(pilot, program_id, status=status, filters=filters, job_id=job)
    people = review_people(pilot, program_id)
    drafts = [d for g in groups for d in g.drafts]
    return render(
        request,
        "review.html",
        program_id=program_id,
        principal=principal,
        role=role,
        drafts=drafts,
        groups=groups,
        filters=filters,
        kinds=[k.value for k in DraftKind],
        creates=review.record_description,
        status=status.value,
        people=people,
        can_edit=role is not None and role.allows(Role.EDITOR),
        can_approve=role is not None and role.allows(Role.APPROVER),
        job=job,
        context=_queue_context(dict(request.query_params)),
        notice=_review_notice(pilot, program_id, done, draft, approved, skipped),
    )


# The query keys that make up what the queue shows; kept across review actions.
QUEUE_CONTEXT_KEYS = ("status", "job", "kind", "owner", "finding")


def _queue_context(values: dict[str, Any]) -> str:
    """The queue view as a query string (only the known keys, re-encoded): actions post it back so
    the page returns to the same filtered view."""
    kept = {k: str(values[k])[:200] for k in QUEUE_CONTEXT_KEYS if values.get(k)}
    return urlencode(kept)


def _review_notice(
    pilot: Pilot,
    program_id: str,
    done: str | None,
    draft_id: str | None,
    approved: int | None,
    skipped: int | None,
) -> dict[str, Any] | None:
    """The confirmation shown after a review action: what was done, to which draft, and what it created."""
    if done == "bulk":
        return {
            "text": f"Approved {approved or 0} draft(s) without findings; {skipped or 0} left for review."
        }
    if done not in ("approve", "reject", "edit", "owner") or not draft_id:
        return None
    try:
        acted = review.get_draft(pilot, program_id, draft_id)
    except PilotError:
        return None
    title = str(
        acted.payload.get("task") or acted.payload.get("what") or acted.payload.get("title") or acted.id
    )
    verb = {"approve": "Approved", "reject": "Rejected", "edit": "Saved", "owner": "Owner set on"}[done]
    return {"text": f"{verb} “{title}”.", "record_ref": acted.record_ref if done == "approve" else None}


def _back_to_queue(program_id: str, context: str | None, **notice: str | int) -> RedirectResponse:
    query = _queue_context(dict(parse_qsl(context or "")))
    extra = urlencode({k: v for k, v in notice.items() if v is not None})
    return _back(f"/p/{program_id}/review?{'&'.join(q for q in (query, extra) if q)}")


def review_people(pilot: Pilot, program_id: str) -> dict[str, str]:
    from pilot.pipeline.programs import get_program

    return {p.id: p.name for p in get_program(pilot, program_id).people}


@router.post("/p/{program_id}/drafts/{draft_id}/{action}")
@page
def draft_action(
    request: Request,
    program_id: str,
    draft_id: str,
    action: str,
    reason: Annotated[str | None, Form()] = None,
    owner_id: Annotated[str | None, Form()] = None,
    task: Annotated[str | None, Form()] = None,
    due: Annotated[str | None, Form()] = None,
    context: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    needed = Role.APPROVER if action in ("approve", "reject") else Role.EDITOR
    pilot, _, _ = _session(request, program_id, needed)
    if action == "approve":
        review.approve(pilot, program_id, draft_id, override_reason=reason or None)
    elif action == "reject":
        review.reject(pilot, program_id, draft_id, reason=reason or "rejected in review")
    elif action == "owner" and owner_id:
        review.choose_owner(pilot, program_id, draft_id, owner_id)
    elif action == "edit":
        review.edit_fields(pilot, program_id, draft_id, task=task, due=due, owner_id=owner_id)
    else:
        raise PilotError(ErrorCode.INVALID_INPUT, f"unknown action {action!r}")
    return _back_to_queue(program_id, context, done=action, draft=draft_id)


@router.post("/p/{program_id}/bulk-approve")
@page
def bulk_action(
    request: Request,
    program_id: str,
    context: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    """Approve the drafts without findings among those the page shows (its filters), no others."""
    pilot, _, _ = _session(request, program_id, Role.APPROVER)
    shown = dict(parse_qsl(context or ""))
    targets = review.queue_draft_ids(pilot, program_id, review.QueueFilter.of(shown), job_id=shown.get("job"))
    runner: JobRunner = request.app.state.runner
    job = runner.wait(
        runner.submit(APPROVE_JOB, program_id, {"draft_ids": targets}, actor=pilot.actor).id,
        timeout=runner.pilot.settings.job_wait_s,
    )
    outcome_or_raise(job)
    if job.status != JobStatus.SUCCEEDED:
        return _back(f"/p/{program_id}/jobs/{job.id}")
    result = job.result or {}
    return _back_to_queue(
        program_id,
        context,
        done="bulk",
        approved=len(result.get("approved", [])),
        skipped=len(result.get("skipped", {})),
    )


# --- transcripts and jobs ------------------------------------------------------------------------


@router.get("/p/{program_id}/transcripts", response_class=HTMLResponse)
@page
def transcripts_page(request: Request, program_id: str) -> HTMLResponse:
    pilot, principal, role = _session(request, program_id, Role.EDITOR)
    recent = [(d.id, d.title, d.kind, d.stored_at) for d in list_documents(pilot, program_id, limit=20)]
    return render(
        request, "transcripts.html", program_id=program_id, principal=principal, role=role, recent=recent
    )


@router.post("/p/{program_id}/transcripts")
@page
async def transcript_submit(
    request: Request,
    program_id: str,
    text: Annotated[str | None, Form()] = None,
    file: Annotated[UploadFile | None, File()] = None,
    meeting_date: Annotated[str | None, Form()] = None,
) -> Response:
    pilot, _, _ = await run_in_threadpool(_session, request, program_id, Role.EDITOR)
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
    when = _form_date(meeting_date, "meeting date")
    # Storing and parsing a transcript of up to the size limit is blocking work: in a worker thread.
    submission = await run_in_threadpool(
        submit_extraction, pilot, request.app.state.runner, program_id, data, name, meeting_date=when
    )
    return _back(f"/p/{program_id}/jobs/{submission.job.id}")


def _form_date(text: str | None, what: str) -> date | None:
    if not text or not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise PilotError(
            ErrorCode.INVALID_INPUT, f"{what} {text.strip()[:40]!r} is not a date (YYYY-MM-DD)"
        ) from exc


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
    ids = document_ids(pilot, program_id)
    from pilot.web.record_pages import record_url

    return render(
        request,
        "ask.html",
        program_id=program_id,
        principal=principal,
        role=role,
        q=q,
        answer=answer,
        doc_ids=ids,
        record_url=record_url,
    )


@router.get("/p/{program_id}/documents/{document_id}", response_class=HTMLResponse)
@page
def document_page(
    request: Request,
    program_id: str,
    document_id: RowId,
    turn: Annotated[int | None, Query(ge=0, le=2**31)] = None,
    quote: str = "",
) -> HTMLResponse:
    pilot, principal, role = _session(request, program_id)
    doc = get_document(pilot, program_id, document_id)
    return render(
        request,
        "document.html",
        program_id=program_id,
        principal=principal,
        role=role,
        doc=doc,
        turn=turn,
        quote=quote.strip()[:500],
    )


@router.get("/p/{program_id}/audit", response_class=HTMLResponse)
@page
def audit_page(request: Request, program_id: str, verify: bool = False) -> HTMLResponse:
    pilot, principal, role = _session(request, program_id)
    report = None
    events = audit_events(pilot, program_id, limit=200)
    if verify:
        check_access(principal, program_id, Role.ADMIN)
        report = verify_audit(pilot)
    return render(
        request,
        "audit.html",
        program_id=program_id,
        principal=principal,
        role=role,
        events=events,
        report=report,
        is_admin=role is not None and role.allows(Role.ADMIN),
        now=pilot.now(),
    )


# --- status drafts: web/status_pages.py (list, draft, editor with preview, approve, downloads) ---
