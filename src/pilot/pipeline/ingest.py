"""Ingest: files and folders, an upload, or a source's API, into the document store and the index.

Every document is stored (verbatim, with its content hash) before it is indexed; indexing reads
from the store, so a crash or an index failure leaves documents marked `pending`/`failed` for the
next run to pick up. One unreadable file or record is a recorded failure; the rest go on.

A source sync saves its cursor after every batch (a sync that stops resumes there), records the
failures in the sync state, and ends with a census: documents whose ids the source no longer
lists are marked deleted and removed from the index. A census that lists nothing at all while
documents exist is not trusted (a changed JQL or a lost permission looks exactly like that): its
deletions are skipped and the report says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field
from sqlalchemy import select

from pilot.connectors.base import Connector, PullBatch, build_connector, failure
from pilot.connectors.files import FileSource, read_bytes, upload_external_id
from pilot.domain.documents import ConnectorFailure, Document
from pilot.domain.errors import ErrorCode, PilotError
from pilot.pipeline.context import Pilot
from pilot.pipeline.jobs import Progress as JobProgress
from pilot.pipeline.jobs import register_job
from pilot.settings import Settings
from pilot.store.documents import (
    UpsertOutcome,
    get_sync_state,
    list_document_rows,
    mark_deleted_except,
    save_sync_state,
    to_document,
    upsert_document,
)
from pilot.store.tables import DocumentRow, ProgramRow

Progress = Callable[[str, int, int], None]  # (what, done, total); total 0 when unknown
SYNC_JOB = "sync"
INDEX_BATCH = 64
REMOVING = "removing"  # index_state of a deleted document whose chunks are still in the index


class DocumentIndexLike(Protocol):
    """What ingestion needs of the index (`pilot.index.DocumentIndex` is one)."""

    def add_documents(self, docs: Sequence[Document]) -> int: ...

    def remove_document(self, program_id: str, document_key: str) -> None: ...


IndexLike = DocumentIndexLike


class DocumentSummary(BaseModel):
    key: str
    title: str
    kind: str
    outcome: str
    turns: int = 0
    meeting_date: date | None = None
    warnings: list[str] = Field(default_factory=list)


class DocumentInfo(BaseModel):
    """A stored document as listed (no text)."""

    id: int
    source: str
    external_id: str
    kind: str
    title: str
    url: str | None
    meeting_date: date | None
    updated_at: datetime | None
    stored_at: datetime
    index_state: str
    warnings: list[str]


class IngestReport(BaseModel):
    program_id: str
    source: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    restored: int = 0
    deleted: int = 0
    indexed_documents: int = 0
    indexed_chunks: int = 0
    index_failures: int = 0
    cursor: str | None = None
    census_skipped: str | None = None  # why the census deletions were not applied
    documents: list[DocumentSummary] = Field(default_factory=list)
    failures: list[ConnectorFailure] = Field(default_factory=list)

    def count(self, outcome: UpsertOutcome) -> None:
        setattr(self, outcome.value, getattr(self, outcome.value) + 1)

    def brief(self, limit: int = 200) -> dict[str, Any]:
        """The report with its lists cut to `limit` (a job result stays small for a large sync)."""
        data = self.model_dump(mode="json")
        for name in ("documents", "failures"):
            data[f"{name}_total"] = len(data[name])
            data[name] = data[name][:limit]
        return data


def _index_for(pilot: Pilot, index: DocumentIndexLike | None) -> DocumentIndexLike:
    if index is not None:
        return index
    from pilot.index import open_index  # loads the embedding model: only when indexing for real

    return open_index(pilot.settings)


def _program_zone(pilot: Pilot, program_id: str) -> tzinfo:
    """The program must exist (404 before any work); its time zone reads zone-less export times."""
    with pilot.db.transaction() as session:
        row = session.get(ProgramRow, program_id)
        if row is None:
            raise PilotError(ErrorCode.NOT_FOUND, f"program {program_id!r} not found")
        name = row.timezone or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _store(pilot: Pilot, report: IngestReport, docs: Iterable[Document]) -> None:
    with pilot.db.transaction() as session:
        for doc in docs:
            _, outcome = upsert_document(session, doc, pilot.now())
            report.count(outcome)
            report.documents.append(DocumentSummary(key=doc.key, title=doc.title, kind=doc.kind.value,
                                                    outcome=outcome.value, turns=len(doc.turns),
                                                    meeting_date=doc.meeting_date,
                                                    warnings=list(doc.warnings)))  # fmt: skip


def index_pending(
    pilot: Pilot,
    program_id: str,
    index: DocumentIndexLike,
    report: IngestReport,
    batch: int = INDEX_BATCH,
    progress: Progress | None = None,
) -> None:
    """Index every stored document not yet indexed (new, changed, or failed before). A batch the
    index refuses is marked `failed` with the error and retried by the next run."""
    with pilot.db.transaction() as session:
        ids = list(
            session.execute(
                select(DocumentRow.id)
                .where(
                    DocumentRow.program_id == program_id,
                    DocumentRow.deleted_at.is_(None),
                    DocumentRow.index_state != "indexed",
                )  # fmt: skip
                .order_by(DocumentRow.id)
            ).scalars()
        )
    for start in range(0, len(ids), batch):
        part = ids[start : start + batch]
        with pilot.db.transaction() as session:
            rows = [session.get(DocumentRow, doc_id) for doc_id in part]
            docs = [(row.id, row.content_hash, to_document(row)) for row in rows if row is not None]
        try:
            chunks = index.add_documents([doc for _, _, doc in docs])
            state, error = "indexed", None
            report.indexed_documents += len(docs)
            report.indexed_chunks += chunks
        except Exception as exc:  # noqa: BLE001 - recorded on the documents; the next run retries them
            state, error = "failed", f"{type(exc).__name__}: {exc}"[:2000]
            report.index_failures += len(docs)
        with pilot.db.transaction() as session:
            for doc_id, indexed_hash, _ in docs:
                row = session.get(DocumentRow, doc_id)
                # Changed again while it was being indexed: leave it pending for the next run.
                if row is not None and row.content_hash == indexed_hash:
                    row.index_state, row.index_error = state, error
        if progress:
            progress("indexing", min(start + batch, len(ids)), len(ids))


def list_documents(
    pilot: Pilot,
    program_id: str,
    *,
    source: str | None = None,
    kind: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[DocumentInfo]:
    """Live documents of a program, newest stored first, without their text."""
    _program_zone(pilot, program_id)
    columns = [DocumentRow.id, DocumentRow.source, DocumentRow.external_id, DocumentRow.kind, DocumentRow.title,
               DocumentRow.url, DocumentRow.meeting_date, DocumentRow.updated_at, DocumentRow.stored_at,
               DocumentRow.index_state, DocumentRow.warnings]  # fmt: skip
    query = select(*columns).where(DocumentRow.program_id == program_id, DocumentRow.deleted_at.is_(None))
    if source:
        query = query.where(DocumentRow.source == source)
    if kind:
        query = query.where(DocumentRow.kind == kind)
    query = query.order_by(DocumentRow.stored_at.desc(), DocumentRow.id.desc()).limit(limit).offset(offset)
    with pilot.db.transaction() as session:
        return [DocumentInfo.model_validate(dict(row._mapping)) for row in session.execute(query)]


# --- files and uploads ---------------------------------------------------------------------------


def ingest_paths(
    pilot: Pilot,
    program_id: str,
    paths: Sequence[Path],
    *,
    index: DocumentIndexLike | None = None,
    meeting_date: date | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    zone = _program_zone(pilot, program_id)
    files = FileSource(
        paths, meeting_date=meeting_date, max_bytes=pilot.settings.max_transcript_bytes, tz=zone
    )
    report = IngestReport(program_id=program_id, source="file")
    target = _index_for(pilot, index)
    remove_deleted(pilot, program_id, target, report)  # left over from an earlier run
    seen: dict[str, str] = {}
    for done, batch in enumerate(files.pull(program_id, None), start=1):
        report.failures.extend(batch.failures)
        _store(pilot, report, _first_seen(batch, seen, report))
        if progress:
            progress("storing", done, len(files.files))
    index_pending(pilot, program_id, target, report, progress=progress)
    return report


def _first_seen(batch: PullBatch, seen: dict[str, str], report: IngestReport) -> list[Document]:
    """The same ticket in two exports of one run (an API page and a CSV) is stored once, from the
    first file, so re-running the same ingest is a no-op instead of a flip-flop."""
    fresh = []
    where = batch.cursor or ""
    for doc in batch.documents:
        if doc.key in seen:
            report.failures.append(
                failure(doc.source, doc.external_id, f"also in {Path(seen[doc.key]).name}; kept that one")
            )
            continue
        seen[doc.key] = where
        fresh.append(doc)
    return fresh


def ingest_upload(
    pilot: Pilot,
    program_id: str,
    data: bytes,
    filename: str,
    *,
    index: DocumentIndexLike | None = None,
    meeting_date: date | None = None,
) -> IngestReport:
    """One uploaded file. A file that is unusable as a whole is a `PilotError` and nothing is
    stored; an export with some bad records stores the good ones and reports the rest."""
    zone = _program_zone(pilot, program_id)
    name = Path(filename or "upload.txt").name or "upload.txt"
    batch = read_bytes(data, name, program_id, meeting_date=meeting_date, max_bytes=pilot.settings.max_transcript_bytes,
                       source="upload", external_id=upload_external_id(name, data), tz=zone)  # fmt: skip
    if not batch.documents:
        raise PilotError(
            ErrorCode.INVALID_INPUT,
            f"{name}: no readable record" + (f": {batch.failures[0].error}" if batch.failures else ""),
            details={"failures": [f.model_dump() for f in batch.failures[:50]]},
        )
    report = IngestReport(program_id=program_id, source="upload", failures=list(batch.failures))
    _store(pilot, report, batch.documents)
    index_pending(pilot, program_id, _index_for(pilot, index), report)
    return report


# --- sources with an API -------------------------------------------------------------------------


def sync_source(
    pilot: Pilot,
    program_id: str,
    source: str,
    *,
    index: DocumentIndexLike | None = None,
    connector: Connector | None = None,
    census: bool = True,
    progress: Progress | None = None,
) -> IngestReport:
    _program_zone(pilot, program_id)
    with pilot.db.transaction() as session:
        state = get_sync_state(session, program_id, source)
        cursor = (state.cursor or {}).get("value") if state is not None else None
    connector = connector or build_connector(source, pilot.settings)
    target = _index_for(pilot, index)
    report = IngestReport(program_id=program_id, source=source, cursor=cursor)
    remove_deleted(pilot, program_id, target, report)  # left over from an earlier run
    try:
        for number, batch in enumerate(connector.pull(program_id, cursor), start=1):
            report.failures.extend(batch.failures)
            _store(pilot, report, [d for d in batch.documents if d.program_id == program_id])
            report.cursor = batch.cursor or report.cursor
            _checkpoint(pilot, report)  # a later failure resumes from here
            if progress:
                progress(f"pulling {source}", number, 0)
        if census:
            _census(pilot, program_id, connector, target, report)
    except Exception as exc:
        error = exc if isinstance(exc, PilotError) else PilotError(
            ErrorCode.INTERNAL, f"{source}: the sync stopped: {type(exc).__name__}: {exc}"[:1000])  # fmt: skip
        _checkpoint(pilot, report, error=error.message)
        index_pending(pilot, program_id, target, report)  # what was stored before the failure is searchable
        if error is exc:
            raise
        raise error from exc
    _checkpoint(pilot, report)
    index_pending(pilot, program_id, target, report, progress=progress)
    return report


def _checkpoint(pilot: Pilot, report: IngestReport, *, error: str | None = None) -> None:
    with pilot.db.transaction() as session:
        save_sync_state(session, report.program_id, report.source,
                        cursor={"value": report.cursor} if report.cursor is not None else None,
                        now=pilot.now(), error=error,
                        failures=[f.model_dump(mode="json") for f in report.failures[-100:]])  # fmt: skip


def _census(
    pilot: Pilot, program_id: str, connector: Connector, index: DocumentIndexLike, report: IngestReport
) -> None:
    present = connector.census(program_id)
    if present is None:
        return  # the source cannot list everything (PagerDuty): nothing is deleted
    with pilot.db.transaction() as session:
        live = list_document_rows(session, program_id, source=report.source)
        if not present and live:
            report.census_skipped = (
                f"the census listed no {report.source} items while {len(live)} are stored; "
                "deletions skipped (check the query and the account's permissions)"
            )
            return
        gone = mark_deleted_except(session, program_id, report.source, present, pilot.now())
        for row in gone:
            row.index_state = REMOVING  # until its chunks are out of the index
    report.deleted = len(gone)
    remove_deleted(pilot, program_id, index, report)


def remove_deleted(pilot: Pilot, program_id: str, index: DocumentIndexLike, report: IngestReport) -> None:
    """Take deleted documents out of the index. The store says "deleted" first; one the index
    could not drop stays `removing` and is retried by the next run."""
    with pilot.db.transaction() as session:
        rows = session.execute(
            select(DocumentRow.id, DocumentRow.source, DocumentRow.external_id).where(
                DocumentRow.program_id == program_id,
                DocumentRow.deleted_at.is_not(None),
                DocumentRow.index_state == REMOVING,
            )  # fmt: skip
        ).all()
    for doc_id, source, external_id in rows:
        key = f"{source}:{external_id}"
        try:
            index.remove_document(program_id, key)
        except Exception as exc:  # noqa: BLE001 - recorded; retried by the next run
            report.failures.append(failure(source, external_id, f"not removed from the index yet: {exc}"))
            continue
        with pilot.db.transaction() as session:
            row = session.get(DocumentRow, doc_id)
            if row is not None and row.deleted_at is not None:
                row.index_state = "removed"


# --- as a background job (the API enqueues; the CLI runs inline) ----------------------------------


def check_source(settings: Settings, source: str) -> None:
    """Fail fast (unknown source, credentials not configured) before a job is queued."""
    build_connector(source, settings)


@register_job(SYNC_JOB)
def _sync_job(pilot: Pilot, params: dict[str, Any], progress: JobProgress) -> dict[str, Any]:
    report = sync_source(
        pilot, params["program_id"], params["source"], census=bool(params.get("census", True)),
        progress=lambda _what, done, total: progress(done, total),
    )  # fmt: skip
    return report.brief()
