"""Documents over HTTP: upload and ingest a file, list a program's documents, sync a source (a
background job), and search a program's index."""

from __future__ import annotations

import time
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, Response, UploadFile
from pydantic import AwareDatetime
from starlette.concurrency import run_in_threadpool

from pilot.api.deps import CanEdit, CanView, PilotDep, RunnerDep
from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.jobs import Job
from pilot.pipeline.ingest import (
    SYNC_JOB,
    DocumentInfo,
    IngestReport,
    check_source,
    ingest_upload,
    list_documents,
)
from pilot.pipeline.programs import get_program
from pilot.pipeline.search import Hit, search_program

router = APIRouter(tags=["documents"])

MAX_OFFSET = 2**31  # far past any program's documents; bigger would overflow the database's integers


@router.post(
    "/programs/{program_id}/documents",
    status_code=201,
    responses={
        422: {
            "description": "The file is empty, binary, too large or has no readable record; nothing stored."
        }
    },
)
async def upload_document_route(
    program_id: str,
    _scope: CanEdit,
    pilot: PilotDep,
    runner: RunnerDep,
    file: Annotated[UploadFile, File(description="Transcript, notes, Jira CSV or a saved API response.")],
    meeting_date: Annotated[date | None, Form()] = None,
) -> IngestReport:
    """Store the file verbatim; a background job (`index_job`) indexes it. The same file uploaded
    twice is one document."""
    limit = pilot.settings.max_transcript_bytes
    data = await file.read(limit + 1)  # never more than the limit (+1 to tell "too large") in memory
    if len(data) > limit:
        raise PilotError(
            ErrorCode.INVALID_INPUT,
            f"{file.filename or 'the file'}: larger than the {limit / 1048576:.0f} MB limit",
            details={"limit": limit},
        )
    name = file.filename or "upload.txt"
    return await run_in_threadpool(
        ingest_upload, pilot, program_id, data, name, meeting_date=meeting_date, runner=runner
    )


@router.get("/programs/{program_id}/documents")
def list_documents_route(
    program_id: str,
    _scope: CanView,
    pilot: PilotDep,
    source: str | None = None,
    kind: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> list[DocumentInfo]:
    """Stored documents, newest first, with their index state and parse warnings (no text)."""
    return list_documents(pilot, program_id, source=source, kind=kind, limit=limit, offset=offset)


@router.post(
    "/programs/{program_id}/sync/{source}",
    status_code=202,
    responses={
        202: {"description": "Sync queued; poll `GET /programs/{id}/jobs/{job.id}` for its report."},
        409: {"description": "The source is not configured (credentials missing)."},
    },
)
def sync_route(
    program_id: str,
    source: Literal["jira", "github", "pagerduty"],
    _scope: CanEdit,
    pilot: PilotDep,
    runner: RunnerDep,
    census: bool = True,
) -> Job:
    """Pull what changed at the source since the last sync, then check for deletions."""
    get_program(pilot, program_id)  # 404 before the source is checked
    check_source(pilot.settings, source)
    return runner.submit(SYNC_JOB, program_id, {"source": source, "census": census}, actor=pilot.actor)


@router.get("/programs/{program_id}/search")
def search_route(
    program_id: str,
    _scope: CanView,
    pilot: PilotDep,
    response: Response,
    q: Annotated[str, Query(min_length=1, max_length=1000)],
    k: Annotated[int, Query(ge=1, le=100)] = 10,
    source: Annotated[list[str] | None, Query()] = None,
    kind: Annotated[list[str] | None, Query()] = None,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
) -> list[Hit]:
    """The program's best chunks for `q`. The `Server-Timing` header gives each part's wall time
    (query embedding, vector arm, keyword arm, fusion, row fetch), so a slow search says where."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    hits = search_program(
        pilot, program_id, q, k=k, sources=source, kinds=kind, since=since, until=until, timings=timings
    )
    timings["search"] = (time.perf_counter() - started) * 1000
    response.headers["Server-Timing"] = ", ".join(f"{part};dur={ms:.1f}" for part, ms in timings.items())
    return hits
