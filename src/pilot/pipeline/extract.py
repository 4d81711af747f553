"""Paste a transcript, get action items: store it, extract in a job, put the drafts in the queue.

The transcript is parsed and stored (verbatim, with its content hash) before any extraction
starts, so a job that fails (LLM down, rate-limited, invalid output twice) is retried from the
stored document without re-uploading. Drafts go to the review queue only; nothing here writes
program records.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy.orm import Session

from pilot.chains.engine import CallRecord, ChainRun, ExtractionContext, Extractor
from pilot.chains.engine import Progress as ChunkProgress
from pilot.connectors.transcripts import parse_transcript
from pilot.domain.documents import Document, Turn
from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.jobs import Job
from pilot.domain.usage import TokenUsage
from pilot.pipeline.context import Pilot
from pilot.pipeline.extract_grounding import ExtractionResult, default_checker, extract
from pilot.pipeline.heap import collection_paused_for
from pilot.pipeline.jobs import JobRunner, Progress, register_job
from pilot.settings import Settings
from pilot.store.documents import document_text_size, get_document_row, to_document, upsert_document
from pilot.store.drafts import add_draft, job_draft_ids
from pilot.store.jobs import require_lease
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


def progress_unit(settings: Settings) -> str:
    """What an extraction job's progress counts: the LLM chain's chunks, the offline engine's turns."""
    return "chunks" if settings.llm_configured else "turns"


def default_engine(settings: Settings) -> Extractor:
    """The LLM chain when one is configured, else the offline engine."""
    if settings.llm_configured:
        from pilot.chains.cache import SqliteExtractionCache
        from pilot.chains.extraction import LLMExtractor
        from pilot.chains.llm_openai import build_llm

        return LLMExtractor(
            llm=build_llm(settings),
            cache=SqliteExtractionCache.in_data_dir(settings.data_dir),
            max_chunk_tokens=settings.llm_chunk_tokens,
            max_concurrency=settings.llm_max_concurrency,
        )
    from pilot.chains.offline import OfflineExtractor
    from pilot.pipeline.search import reference_embedder

    return OfflineExtractor.default(reference_embedder())


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
    then: Callable[[Session, StoredTranscript], None] | None = None,
) -> StoredTranscript:
    """Parse and store a transcript; bad input is a clear error and nothing is stored.
    `then(session, stored)` runs in the storing transaction (to enqueue the job that reads it)."""
    with pilot.db.transaction() as session:
        load_program(session, program_id)  # 404 before any parsing work
    with collection_paused_for(len(data)):
        return _store_parsed(pilot, program_id, data, filename, meeting_date, parser, then)


def _store_parsed(
    pilot: Pilot,
    program_id: str,
    data: bytes,
    filename: str,
    meeting_date: date | None,
    parser: TranscriptParser | None,
    then: Callable[[Session, StoredTranscript], None] | None,
) -> StoredTranscript:
    document = (parser or transcript_parser(pilot.settings))(data, filename, program_id, meeting_date)
    if not document.text.strip():
        raise PilotError(ErrorCode.INVALID_INPUT, f"{filename}: the transcript has no text")
    with pilot.db.transaction() as session:
        row, outcome = upsert_document(session, document, pilot.now())
        stored = StoredTranscript(
            document_id=row.id,
            document_key=document.key,
            title=document.title,
            turns=len(document.turns),
            meeting_date=document.meeting_date,
            warnings=list(document.warnings),
            outcome=outcome.value,
        )
        if then is not None:
            then(session, stored)
        return stored


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
    """Store the transcript and enqueue its extraction in one transaction: a crash leaves either
    nothing or both."""
    job_ids: list[str] = []

    def enqueue(session: Session, stored: StoredTranscript) -> None:
        params = {
            "document_id": stored.document_id,
            "meeting_date": (meeting_date or stored.meeting_date or pilot.now().date()).isoformat(),
            "filename": filename,
            "progress_unit": progress_unit(pilot.settings),
        }
        job_ids.append(runner.enqueue(session, EXTRACT_JOB, program_id, params, actor=pilot.actor).id)

    stored = store_transcript(
        pilot, program_id, data, filename, meeting_date=meeting_date, parser=parser, then=enqueue
    )
    job = runner.run_now(job_ids[0]) if runner.inline else runner.get(job_ids[0])
    return ExtractionSubmission(document=stored, job=job)


_FAILURE_CODES = {
    "rate_limited": ErrorCode.UPSTREAM_RATE_LIMITED,
    "invalid_output": ErrorCode.UPSTREAM_INVALID_OUTPUT,
    "output_truncated": ErrorCode.UPSTREAM_INVALID_OUTPUT,  # still cut off on the smallest pieces
    "refused": ErrorCode.UPSTREAM_INVALID_OUTPUT,
    "input_too_long": ErrorCode.CONFIGURATION,  # lower PILOT_LLM_CHUNK_TOKENS
    "credentials": ErrorCode.CREDENTIALS,
    "bad_request": ErrorCode.CONFIGURATION,  # e.g. a model or option the server does not support
}


@register_job(EXTRACT_JOB)
def run_extraction_job(pilot: Pilot, params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    with pilot.db.reading() as session:
        size = document_text_size(session, int(params["document_id"]))
    with collection_paused_for(size):  # a 10 MB paste is ~200k live turns: see pipeline/heap
        return _run_extraction(pilot, params, progress)


def _run_extraction(pilot: Pilot, params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    document_id = int(params["document_id"])
    meeting_date = date.fromisoformat(params["meeting_date"]) if params.get("meeting_date") else None
    with pilot.db.transaction() as session:
        row = get_document_row(session, str(params["program_id"]), document_id)
        document = to_document(row)
        program = load_program(session, document.program_id)
    engine = RecordingExtractor(_engine_factory(pilot.settings))
    result = extract(
        document,
        engine=engine,
        program=program,
        meeting_date=meeting_date,
        timezone=program.program.timezone,
        checker=default_checker(pilot.now),
        progress=progress,
    )
    if result.failures and not result.drafts:
        first = result.failures[0].failure
        raise PilotError(
            _FAILURE_CODES.get(first.kind, ErrorCode.UPSTREAM_UNAVAILABLE),
            f"extraction failed on {len(result.failures)} of {result.chunks} chunks: {first.message}",
            details={"failures": [f.model_dump(mode="json") for f in result.failures]},
        )
    calls = engine.last_run.calls if engine.last_run else []
    draft_ids = _queue_drafts(pilot, document.program_id, document_id, result, params, calls)
    outcome = summary(result, draft_ids)
    outcome["llm_calls"] = [call.model_dump(mode="json") for call in calls]
    outcome["indexed_chunks"] = _index_transcript(pilot, document.program_id)
    return outcome


def _index_transcript(pilot: Pilot, program_id: str) -> int:
    """Make the transcript searchable for the ask job; a failure here is recorded on the document
    (and retried by the next ingest), never a failed extraction."""
    from pilot.pipeline.ingest import IngestReport, index_pending

    report = IngestReport(program_id=program_id, source="upload")
    index_pending(pilot, program_id, _index_factory(pilot), report)
    return report.indexed_chunks


def _default_index(pilot: Pilot) -> Any:
    from pilot.index import open_index

    return open_index(pilot.settings, pilot.db)


_index_factory: Callable[[Pilot], Any] = _default_index


def _queue_drafts(
    pilot: Pilot,
    program_id: str,
    document_id: int,
    result: ExtractionResult,
    params: dict[str, Any],
    calls: Sequence[CallRecord] = (),
) -> list[str]:
    """All drafts of one run land together, or none do. Each carries the usage of the LLM call
    that read its evidence. Run as a job, they are written once: under the job's lease (a run that
    was taken over writes nothing), with ids derived from the job id and the item's position, and
    not again when an earlier attempt of the same job already wrote them (it died after writing
    them, while indexing)."""
    job_id = params.get("job_id")
    ids: list[str] = []
    with pilot.db.transaction() as session:
        if job_id is not None and params.get("job_attempt") is not None:
            require_lease(session, str(job_id), int(params["job_attempt"]))
            written = job_draft_ids(session, program_id, str(job_id))
            if written:
                return written
        for position, draft in enumerate(result.drafts):
            evidence = getattr(draft.payload, "evidence", None)
            usage = call_usage_for_turn(calls, evidence.turn_index if evidence else None)
            row = add_draft(
                session,
                program_id=program_id,
                kind=draft.kind,
                payload=draft.payload.model_dump(mode="json"),
                findings=draft.findings,
                provenance=result.provenance.model_copy(update={"usage": usage}),
                now=pilot.now(),
                meeting_date=result.meeting_date,
                source_document_id=document_id,
                job_id=job_id,
                draft_id=str(uuid.uuid5(_DRAFT_IDS, f"{job_id}:{position}")) if job_id else None,
            )
            ids.append(row.id)
    return ids


_DRAFT_IDS = uuid.UUID("5b0a3c52-94d1-4c1e-9a53-0c6f3f0e8d11")  # namespace of job-derived draft ids


class RecordingExtractor:
    """The job's engine, keeping its last `ChainRun` so the job can record the calls it made."""

    def __init__(self, inner: Extractor) -> None:
        self.inner = inner
        self.last_run: ChainRun | None = None

    @property
    def engine(self) -> Literal["offline", "llm"]:
        return self.inner.engine

    def run(
        self, turns: Sequence[Turn], context: ExtractionContext, *, progress: ChunkProgress | None = None
    ) -> ChainRun:
        self.last_run = self.inner.run(turns, context, progress=progress)
        return self.last_run


def call_usage_for_turn(calls: Sequence[CallRecord], turn_index: int | None) -> TokenUsage | None:
    """The usage of the successful call whose turns hold `turn_index` (the first, when overlapping
    chunks both did); None for the offline engine or when no call covers it."""
    if turn_index is None:
        return None
    for call in calls:
        if call.outcome in ("ok", "cached") and call.first_turn <= turn_index <= call.last_turn:
            return call.usage
    return None


def summary(result: ExtractionResult, draft_ids: list[str]) -> dict[str, Any]:
    kinds = Counter(d.kind.value for d in result.drafts)
    return {
        "document_key": result.document_key,
        "engine": result.provenance.engine,
        "model": result.provenance.model,
        "prompt_version": result.provenance.prompt_version,
        "prompt_hash": result.provenance.prompt_hash,
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
