"""Paste or upload a transcript; extraction runs as a background job that the client polls."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from pilot.api.deps import CanEdit, CanView, PilotDep
from pilot.api.deps import RunnerDep as RunnerDep  # re-exported: routes written before it moved
from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.jobs import Job
from pilot.pipeline.extract import ExtractionSubmission, submit_extraction

router = APIRouter(tags=["extract"])

# Twice the parser's own limit would waste memory; read one byte past the limit to detect "too big".
DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024


@router.post(
    "/programs/{program_id}/extract",
    status_code=202,
    response_model=ExtractionSubmission,
    responses={202: {"description": "Transcript stored; extraction job queued. Poll `job.id`."}},
)
async def extract_route(
    program_id: str,
    _scope: CanEdit,
    pilot: PilotDep,
    runner: RunnerDep,
    text: Annotated[str | None, Form(description="Transcript text (or upload `file`).")] = None,
    file: Annotated[
        UploadFile | None,
        File(
            description="Transcript file: .vtt, .srt, .sbv, .txt (Zoom captions and chat, Otter, notes), .md, .json, .jsonl."
        ),
    ] = None,
    filename: Annotated[str | None, Form(max_length=255)] = None,
    meeting_date: Annotated[date | None, Form()] = None,
) -> JSONResponse:
    limit = int(getattr(pilot.settings, "max_transcript_bytes", DEFAULT_MAX_UPLOAD_BYTES))
    if file is not None:
        data = await file.read(limit + 1)
        name = filename or file.filename or "upload.txt"
    elif text is not None:
        data = text.encode("utf-8", "surrogatepass")
        name = filename or "pasted.txt"
    else:
        raise PilotError(ErrorCode.INVALID_INPUT, "send the transcript as `text` or as an uploaded `file`")
    if len(data) > limit:
        raise PilotError(
            ErrorCode.INVALID_INPUT, f"the transcript is larger than {limit // (1024 * 1024)} MB"
        )
    submission = await run_in_threadpool(
        submit_extraction, pilot, runner, program_id, data, name, meeting_date=meeting_date
    )
    return JSONResponse(status_code=202, content=submission.model_dump(mode="json"))


@router.get("/programs/{program_id}/jobs/{job_id}")
def get_job_route(program_id: str, job_id: str, _scope: CanView, runner: RunnerDep) -> Job:
    return runner.get(job_id, program_id)


@router.post(
    "/programs/{program_id}/jobs/{job_id}/retry",
    responses={409: {"description": "The job is queued, running on a live worker, or succeeded."}},
)
def retry_job_route(program_id: str, job_id: str, _scope: CanEdit, runner: RunnerDep) -> Job:
    return runner.retry(job_id, program_id)
