"""Documents over HTTP: upload and ingest a file, list a program's documents, sync a source,
and search a program's index."""

from __future__ import annotations

import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile
from pydantic import BaseModel

from pilot.api.deps import CanEdit, CanView, PilotDep
from pilot.domain.errors import ErrorCode, PilotError
from pilot.index import Hit, open_index
from pilot.pipeline.ingest import IngestReport, ingest_paths, sync_source
from pilot.pipeline.search import search_program
from pilot.store.documents import list_document_rows
from pilot.store.programs import load_program

router = APIRouter(tags=["documents"])


class DocumentInfo(BaseModel):
    id: int
    source: str
    external_id: str
    kind: str
    title: str
    url: str | None
    meeting_date: date | None
    updated_at: datetime | None
    index_state: str
    warnings: list[str]


@router.post("/programs/{program_id}/documents", status_code=201)
async def upload_document_route(
    program_id: str,
    _scope: CanEdit,
    pilot: PilotDep,
    file: Annotated[UploadFile, File(description="Transcript, notes, Jira CSV or a saved API response.")],
    meeting_date: Annotated[date | None, Form()] = None,
) -> IngestReport:
    limit = pilot.settings.max_transcript_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise PilotError(ErrorCode.INVALID_INPUT, f"the file is larger than {limit // (1024 * 1024)} MB")
    name = Path(file.filename or "upload.txt").name or "upload.txt"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        report = ingest_paths(
            pilot, program_id, [path], index=open_index(pilot.settings), meeting_date=meeting_date
        )
    if report.failures and not report.documents:
        raise PilotError(
            ErrorCode.INVALID_INPUT,
            report.failures[0].error,
            details=[f.model_dump() for f in report.failures],
        )
    return report


@router.get("/programs/{program_id}/documents")
def list_documents_route(
    program_id: str, _scope: CanView, pilot: PilotDep, source: str | None = None
) -> list[DocumentInfo]:
    with pilot.db.transaction() as session:
        load_program(session, program_id)
        return [
            DocumentInfo(
                id=r.id,
                source=r.source,
                external_id=r.external_id,
                kind=r.kind,
                title=r.title,
                url=r.url,
                meeting_date=r.meeting_date,
                updated_at=r.updated_at,
                index_state=r.index_state,
                warnings=list(r.warnings),
            )  # fmt: skip
            for r in list_document_rows(session, program_id, source=source)
        ]


@router.post("/programs/{program_id}/sync/{source}")
def sync_route(
    program_id: str, source: Literal["jira", "github", "pagerduty"], _scope: CanEdit, pilot: PilotDep
) -> IngestReport:
    return sync_source(pilot, program_id, source, index=open_index(pilot.settings))


@router.get("/programs/{program_id}/search")
def search_route(
    program_id: str,
    _scope: CanView,
    pilot: PilotDep,
    q: Annotated[str, Query(min_length=1, max_length=1000)],
    k: Annotated[int, Query(ge=1, le=100)] = 10,
    source: Annotated[list[str] | None, Query()] = None,
    kind: Annotated[list[str] | None, Query()] = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Hit]:
    return search_program(pilot, program_id, q, k=k, sources=source, kinds=kind, since=since, until=until)
