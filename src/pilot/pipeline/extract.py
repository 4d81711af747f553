"""Paste a transcript, get action items: store it, extract in a job, put the drafts in the queue.

The transcript is parsed and stored (verbatim, with its content hash) before any extraction
starts, so a job that fails (LLM down, rate-limited, invalid output twice) is retried from the
stored document without re-uploading. Drafts go to the review queue only; nothing here writes
program records.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any

from pydantic import BaseModel

from pilot.chains.engine import Extractor
from pilot.connectors.transcripts import parse_transcript
from pilot.domain.documents import Document
from pilot.domain.drafts import DraftContext, DraftKind
from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.findings import Finding
from pilot.domain.jobs import Job
from pilot.domain.program import ProgramData
from pilot.pipeline.context import Pilot
from pilot.pipeline.extract_grounding import DraftPayload, ExtractionResult, extract
from pilot.pipeline.jobs import JobRunner, Progress, register_job
from pilot.rules.checks import ProgramIndex, run_checks
from pilot.settings import Settings
from pilot.store.documents import get_document_row, to_document, upsert_document
from pilot.store.drafts import add_draft
from pilot.store.programs import load_program

EXTRACT_JOB = "extract"
# Parses raw bytes into a transcript document: (data, filename, program_id, meeting_date) -> Document.
TranscriptParser = Callable[[bytes, str, str, date | None], Document]
# Builds the extraction engine for a run; tests and the eval swap in fakes here.
EngineFactory = Callable[[Settings], Extractor]


class StoredTranscript(BaseModel):
    document_id: int
    document_key: str
    title: str
    turns: int
    meeting_date: date | None
    warnings: list[str]
    outcome: str


class ExtractionSubmission(BaseModel):
    document: StoredTranscript
    job: Job


def transcript_parser(settings: Settings) -> TranscriptParser:
    """The connectors' parser with the size limit from settings. Uploads are identified by name
    and content, so uploading the same file twice is one document."""

    def parse(data: bytes, filename: str, program_id: str, meeting_date: date | None) -> Document:
        return parse_transcript(
            data,
            filename=filename,
            program_id=program_id,
            meeting_date=meeting_date,
            external_id=f"{filename}#{hashlib.sha256(data).hexdigest()[:12]}",
            max_bytes=settings.max_transcript_bytes,
        )

    return parse


def default_engine(settings: Settings) -> Extractor:
    """The LLM chain when one is configured, else the offline engine."""
    if settings.llm_configured:
        from pilot.chains.cache import SqliteExtractionCache
        from pilot.chains.extraction import LLMExtractor
        from pilot.chains.llm_openai import build_llm

        return LLMExtractor(
            llm=build_llm(settings), cache=SqliteExtractionCache.in_data_dir(settings.data_dir)
        )
    from pilot.chains.offline import OfflineExtractor

    return OfflineExtractor.default()


_engine_factory: EngineFactory = default_engine


def use_engine(factory: EngineFactory | None) -> None:
    """Swap the engine factory (tests, evals); None restores the default."""
    global _engine_factory
    _engine_factory = factory or default_engine


def store_transcript(
    pilot: Pilot,
    program_id: str,
    data: bytes,
    filename: str,
    *,
    meeting_date: date | None = None,
    parser: TranscriptParser | None = None,
) -> StoredTranscript:
    """Parse and store a transcript; bad input is a clear error and nothing is stored."""
    with pilot.db.transaction() as session:
        load_program(session, program_id)  # 404 before any parsing work
    document = (parser or transcript_parser(pilot.settings))(data, filename, program_id, meeting_date)
    if not document.text.strip():
        raise PilotError(ErrorCode.INVALID_INPUT, f"{filename}: the transcript has no text")
    with pilot.db.transaction() as session:
        row, outcome = upsert_document(session, document, pilot.now())
        return StoredTranscript(
            document_id=row.id,
            document_key=document.key,
            title=document.title,
            turns=len(document.turns),
            meeting_date=document.meeting_date,
            warnings=list(document.warnings),
            outcome=outcome.value,
        )


def submit_extraction(
    pilot: Pilot,
    runner: JobRunner,
    program_id: str,
    data: bytes,
    filename: str,
    *,
    meeting_date: date | None = None,
    parser: TranscriptParser | None = None,
) -> ExtractionSubmission:
    stored = store_transcript(pilot, program_id, data, filename, meeting_date=meeting_date, parser=parser)
    params = {
        "document_id": stored.document_id,
        "meeting_date": (meeting_date or stored.meeting_date or pilot.now().date()).isoformat(),
        "filename": filename,
    }
    job = runner.submit(EXTRACT_JOB, program_id, params)
    return ExtractionSubmission(document=stored, job=job)


def program_checker(program: ProgramData, now_fn: Callable[[], Any]) -> Callable[..., list[Finding]]:
    index = ProgramIndex.build(program)

    def check(
        kind: DraftKind, payload: DraftPayload, _program: ProgramData | None, context: DraftContext
    ) -> list[Finding]:
        return run_checks(kind, payload, index, context, now_fn())

    return check


_FAILURE_CODES = {
    "rate_limited": ErrorCode.UPSTREAM_RATE_LIMITED,
    "invalid_output": ErrorCode.UPSTREAM_INVALID_OUTPUT,
    "credentials": ErrorCode.CREDENTIALS,
}


@register_job(EXTRACT_JOB)
def run_extraction_job(pilot: Pilot, params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    document_id = int(params["document_id"])
    meeting_date = date.fromisoformat(params["meeting_date"]) if params.get("meeting_date") else None
    with pilot.db.transaction() as session:
        row = get_document_row(session, str(params["program_id"]), document_id)
        document = to_document(row)
        program = load_program(session, document.program_id)
    engine = _engine_factory(pilot.settings)
    result = extract(
        document,
        engine=engine,
        program=program,
        meeting_date=meeting_date,
        timezone=program.program.timezone,
        checker=program_checker(program, pilot.now),
        progress=progress,
    )
    if result.failures and not result.drafts:
        first = result.failures[0].failure
        raise PilotError(
            _FAILURE_CODES.get(first.kind, ErrorCode.UPSTREAM_UNAVAILABLE),
            f"extraction failed on {len(result.failures)} of {result.chunks} chunks: {first.message}",
            details={"failures": [f.model_dump(mode="json") for f in result.failures]},
        )
    draft_ids = _queue_drafts(pilot, document.program_id, document_id, result, params.get("job_id"))
    outcome = summary(result, draft_ids)
    outcome["indexed_chunks"] = _index_transcript(pilot, document.program_id)
    return outcome


def _index_transcript(pilot: Pilot, program_id: str) -> int:
    """Make the transcript searchable for the ask job; a failure here is recorded on the document
    (and retried by the next ingest), never a failed extraction."""
    from pilot.pipeline.ingest import IngestReport, index_pending

    report = IngestReport(program_id=program_id, source="upload")
    index_pending(pilot, program_id, _index_factory(pilot.settings), report)
    return report.indexed_chunks


def _default_index(settings: Settings) -> Any:
    from pilot.index import open_index

    return open_index(settings)


_index_factory: Callable[[Settings], Any] = _default_index


def _queue_drafts(
    pilot: Pilot, program_id: str, document_id: int, result: ExtractionResult, job_id: str | None
) -> list[str]:
    """All drafts of one run land together, or none do."""
    ids: list[str] = []
    with pilot.db.transaction() as session:
        for draft in result.drafts:
            row = add_draft(
                session,
                program_id=program_id,
                kind=draft.kind,
                payload=draft.payload.model_dump(mode="json"),
                findings=draft.findings,
                provenance=result.provenance,
                now=pilot.now(),
                meeting_date=result.meeting_date,
                source_document_id=document_id,
                job_id=job_id,
            )
            ids.append(row.id)
    return ids


def summary(result: ExtractionResult, draft_ids: list[str]) -> dict[str, Any]:
    kinds = Counter(d.kind.value for d in result.drafts)
    return {
        "document_key": result.document_key,
        "engine": result.provenance.engine,
        "model": result.provenance.model,
        "prompt_version": result.provenance.prompt_version,
        "meeting_date": result.meeting_date.isoformat() if result.meeting_date else None,
        "drafts": len(draft_ids),
        "draft_ids": draft_ids,
        "by_kind": dict(kinds),
        "with_findings": sum(1 for d in result.drafts if d.findings),
        "chunks": result.chunks,
        "cache_hits": result.cache_hits,
        "usage": result.usage.model_dump(mode="json"),
        "failures": [f.model_dump(mode="json") for f in result.failures],
    }
