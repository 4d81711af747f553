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
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pilot.connectors.base import Connector, PullBatch, build_connector, failure
from pilot.connectors.files import FileSource, read_bytes, upload_external_id
from pilot.domain.documents import ConnectorFailure, Document
from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.jobs import JobStatus
from pilot.index.hybrid import IndexListener
from pilot.pipeline.context import Pilot
from pilot.pipeline.heap import collection_paused_for
from pilot.pipeline.jobs import JobRunner, register_job
from pilot.pipeline.jobs import Progress as JobProgress
from pilot.settings import Settings
from pilot.store.documents import (
    UpsertOutcome,
    adopt_previous_id,
    find_document_row,
    get_sync_state,
    list_document_rows,
    mark_deleted_except,
    save_sync_state,
    to_document,
    upsert_document,
)
from pilot.store.tables import DocumentRow, JobRow, ProgramRow

Progress = Callable[[str, int, int], None]  # (what, done, total); total 0 when unknown
SYNC_JOB = "sync"
INDEX_JOB = "index"
INDEX_BATCH = 64  # documents read from the store at a time (each is still committed on its own)
REMOVING = "removing"  # index_state of a deleted document whose chunks are still in the index
BACKFILL = "backfill"  # indexed before chunk rows lived in SQL: rows are rebuilt from the vector store


class DocumentIndexLike(Protocol):
    """What ingestion needs of the index (`pilot.index.DocumentIndex` is one): `add_documents`
    commits document by document and tells the listener (see `pilot.index.hybrid.IndexListener`)."""

    def add_documents(
        self, docs: Sequence[Document], *, listener: IndexListener | None = None, stored_vectors: bool = False
    ) -> int: ...

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
    index_job: str | None = None  # the background job indexing what was stored (uploads)
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

    return open_index(pilot.settings, pilot.db)


def _program_zone(pilot: Pilot, program_id: str) -> tzinfo:
    """The program must exist (404 before any work); its time zone reads zone-less export times."""
    with pilot.db.reading() as session:
        row = session.get(ProgramRow, program_id)
        if row is None:
            raise PilotError(ErrorCode.NOT_FOUND, f"program {program_id!r} not found")
        name = row.timezone or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _store(
    pilot: Pilot,
    report: IngestReport,
    docs: Iterable[Document],
    then: Callable[[Session], None] | None = None,
) -> None:
    """Store the documents; `then(session)` runs in the same transaction (to enqueue their job)."""
    with pilot.db.transaction() as session:
        if then is not None:
            then(session)
        for doc in docs:
            _, outcome = upsert_document(session, doc, pilot.now())
            report.count(outcome)
            report.documents.append(
                DocumentSummary(
                    key=doc.key,
                    title=doc.title,
                    kind=doc.kind.value,
                    outcome=outcome.value,
                    turns=len(doc.turns),
                    meeting_date=doc.meeting_date,
                    warnings=list(doc.warnings),
                )
            )


def index_pending(
    pilot: Pilot,
    program_id: str,
    index: DocumentIndexLike,
    report: IngestReport,
    batch: int = INDEX_BATCH,
    progress: Progress | None = None,
) -> None:
    """Index every stored document not yet indexed (new, changed, or failed before). Each document
    is committed on its own, its `indexed` state in the same transaction as its chunk rows: a run
    that stops keeps every document it finished, and any process can read the progress from the
    documents' states. A document the index refuses is marked `failed` with the error and retried
    by the next run."""
    with pilot.db.reading() as session:
        found = session.execute(
            select(DocumentRow.id, func.length(DocumentRow.text))
            .where(
                DocumentRow.program_id == program_id,
                DocumentRow.deleted_at.is_(None),
                DocumentRow.index_state != "indexed",
            )
            .order_by(DocumentRow.id)
        )
        sizes: dict[int, int] = {doc_id: size or 0 for doc_id, size in found}
    ids = list(sizes)
    recorder = _IndexRecorder(pilot, report, len(ids), progress)
    for start in range(0, len(ids), batch):
        with collection_paused_for(sum(sizes[i] for i in ids[start : start + batch])):
            _index_batch(pilot, index, recorder, ids[start : start + batch])


def _index_batch(pilot: Pilot, index: DocumentIndexLike, recorder: _IndexRecorder, ids: list[int]) -> None:
    with pilot.db.reading() as session:
        rows = [row for row in (session.get(DocumentRow, i) for i in ids) if row]
        docs = [(row.id, row.content_hash, row.index_state, to_document(row)) for row in rows]
    recorder.stored = {doc.key: (doc_id, digest) for doc_id, digest, _, doc in docs}
    backfill = [doc for _, _, state, doc in docs if state == BACKFILL]
    if backfill:  # indexed by a version that kept chunk texts in the vector store only
        index.add_documents(backfill, listener=recorder, stored_vectors=True)
    index.add_documents([doc for _, _, state, doc in docs if state != BACKFILL], listener=recorder)


class _IndexRecorder:
    """Records each document's index state with its chunks, and counts and reports progress."""

    def __init__(self, pilot: Pilot, report: IngestReport, total: int, progress: Progress | None) -> None:
        self.pilot, self.report, self.total, self.progress = pilot, report, total, progress
        self.stored: dict[str, tuple[int, str]] = {}  # document key -> (row id, hash that is indexed)
        self.done = 0

    def indexed(self, session: Session, doc: Document, chunks: int) -> None:
        _set_index_state(session, *self.stored[doc.key], "indexed", None)

    def committed(self, doc: Document, chunks: int) -> None:
        self.report.indexed_documents += 1
        self.report.indexed_chunks += chunks
        self._step()

    def failed(self, doc: Document, error: Exception) -> None:
        with self.pilot.db.transaction() as session:
            _set_index_state(
                session, *self.stored[doc.key], "failed", f"{type(error).__name__}: {error}"[:2000]
            )
        self.report.index_failures += 1
        self._step()

    def _step(self) -> None:
        self.done += 1
        if self.progress:
            self.progress("indexing", self.done, self.total)


def _set_index_state(session: Session, doc_id: int, indexed_hash: str, state: str, error: str | None) -> None:
    row = session.get(DocumentRow, doc_id)
    # Changed again while it was being indexed: leave it pending for the next run.
    if row is not None and row.content_hash == indexed_hash:
        row.index_state, row.index_error = state, error


def indexing_progress(pilot: Pilot, program_id: str) -> dict[str, int]:
    """How many of the program's live documents are in each index state (pending, indexed,
    failed): committed per document, so another process can watch an indexing run."""
    _program_zone(pilot, program_id)
    with pilot.db.reading() as session:
        rows = session.execute(
            select(DocumentRow.index_state, func.count())
            .where(DocumentRow.program_id == program_id, DocumentRow.deleted_at.is_(None))
            .group_by(DocumentRow.index_state)
        ).all()
    counts = {"pending": 0, "indexed": 0, "failed": 0}
    counts.update({str(state): int(n) for state, n in rows})
    return counts


def index_program(
    pilot: Pilot, program_id: str, *, index: DocumentIndexLike | None = None, progress: Progress | None = None
) -> IngestReport:
    """Bring the program's index up to date with its stored documents: deleted ones out, new,
    changed, failed and not yet backfilled ones in (`pilot index`; after an upgrade, say)."""
    _program_zone(pilot, program_id)
    report = IngestReport(program_id=program_id, source="index")
    target = _index_for(pilot, index)
    remove_deleted(pilot, program_id, target, report)
    index_pending(pilot, program_id, target, report, progress=progress)
    return report


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
    columns = [
        DocumentRow.id,
        DocumentRow.source,
        DocumentRow.external_id,
        DocumentRow.kind,
        DocumentRow.title,
        DocumentRow.url,
        DocumentRow.meeting_date,
        DocumentRow.updated_at,
        DocumentRow.stored_at,
        DocumentRow.index_state,
        DocumentRow.warnings,
    ]
    query = select(*columns).where(DocumentRow.program_id == program_id, DocumentRow.deleted_at.is_(None))
    if source:
        query = query.where(DocumentRow.source == source)
    if kind:
        query = query.where(DocumentRow.kind == kind)
    query = query.order_by(DocumentRow.stored_at.desc(), DocumentRow.id.desc()).limit(limit).offset(offset)
    with pilot.db.reading() as session:
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
        _adopt_previous_ids(pilot, program_id, batch, target)
        _store(pilot, report, _first_seen(batch, seen, report))
        if progress:
            progress("storing", done, len(files.files))
    index_pending(pilot, program_id, target, report, progress=progress)
    return report


def _adopt_previous_ids(pilot: Pilot, program_id: str, batch: PullBatch, index: DocumentIndexLike) -> None:
    """Documents an earlier version stored under a machine's absolute path take their name in
    pilot. Their chunks under the old key leave the index first (so a failure here is retried by
    the next run), then the row is renamed and indexed again under its new key."""
    for doc in batch.documents:
        previous = batch.previous_ids.get(doc.external_id)
        if previous is None or previous == doc.external_id:
            continue
        with pilot.db.reading() as session:
            old = find_document_row(session, program_id, doc.source, previous)
            taken = find_document_row(session, program_id, doc.source, doc.external_id)
        if old is None or taken is not None:
            continue
        index.remove_document(program_id, f"{doc.source}:{previous}")
        with pilot.db.transaction() as session:
            adopt_previous_id(session, program_id, doc.source, previous, doc.external_id)


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
    runner: JobRunner | None = None,
) -> IngestReport:
    """One uploaded file. A file that is unusable as a whole is a `PilotError` and nothing is
    stored; an export with some bad records stores the good ones and reports the rest. With a
    `runner`, indexing is a background job enqueued in the transaction that stores the file (the
    request never indexes); without one (tests, scripts) it indexes here."""
    with collection_paused_for(len(data)):  # a 19 MB file is ~400k live turns: see pipeline/heap
        return _ingest_upload(pilot, program_id, data, filename, index, meeting_date, runner)


def _ingest_upload(
    pilot: Pilot,
    program_id: str,
    data: bytes,
    filename: str,
    index: DocumentIndexLike | None,
    meeting_date: date | None,
    runner: JobRunner | None,
) -> IngestReport:
    zone = _program_zone(pilot, program_id)
    name = Path(filename or "upload.txt").name or "upload.txt"
    batch = read_bytes(
        data,
        name,
        program_id,
        meeting_date=meeting_date,
        max_bytes=pilot.settings.max_transcript_bytes,
        source="upload",
        external_id=upload_external_id(name, data),
        tz=zone,
    )
    if not batch.documents:
        raise PilotError(
            ErrorCode.INVALID_INPUT,
            f"{name}: no readable record" + (f": {batch.failures[0].error}" if batch.failures else ""),
            details={"failures": [f.model_dump() for f in batch.failures[:50]]},
        )
    report = IngestReport(program_id=program_id, source="upload", failures=list(batch.failures))
    if runner is None:
        _store(pilot, report, batch.documents)
        index_pending(pilot, program_id, _index_for(pilot, index), report)
        return report

    def enqueue(session: Session) -> None:
        report.index_job = enqueue_indexing(session, runner, program_id, actor=pilot.actor)

    _store(pilot, report, batch.documents, then=enqueue)
    return report


def enqueue_indexing(
    session: Session, runner: JobRunner, program_id: str, *, actor: str | None = None
) -> str:
    """An index job for the program, unless one is already waiting (it will index these too)."""
    waiting = session.execute(
        select(JobRow.id).where(
            JobRow.program_id == program_id, JobRow.kind == INDEX_JOB, JobRow.status == JobStatus.QUEUED.value
        )
    ).scalar()
    if waiting is not None:
        return str(waiting)
    return runner.enqueue(session, INDEX_JOB, program_id, {}, actor=actor).id


def schedule_pending_indexing(pilot: Pilot, runner: JobRunner) -> list[str]:
    """At start-up: programs with documents stored but not indexed (a crash between storing and
    indexing, an index that was down) get an index job; nothing is indexed inside a request."""
    with pilot.db.transaction() as session:
        programs = session.execute(
            select(DocumentRow.program_id)
            .where(DocumentRow.deleted_at.is_(None), DocumentRow.index_state.in_(("pending", "failed")))
            .distinct()
        ).scalars()
        return [
            enqueue_indexing(session, runner, program_id, actor="system") for program_id in list(programs)
        ]


def ingest_documents(
    pilot: Pilot,
    program_id: str,
    docs: Sequence[Document],
    *,
    source: str,
    index: DocumentIndexLike | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Documents a caller has already read: stored and indexed as every ingest does (documents of
    another program are refused as failures)."""
    _program_zone(pilot, program_id)
    report = IngestReport(program_id=program_id, source=source)
    mine = [doc for doc in docs if doc.program_id == program_id]
    report.failures.extend(
        failure(doc.source, doc.external_id, f"belongs to program {doc.program_id!r}")
        for doc in docs
        if doc.program_id != program_id
    )
    _store(pilot, report, mine)
    index_pending(pilot, program_id, _index_for(pilot, index), report, progress=progress)
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
        error = (
            exc
            if isinstance(exc, PilotError)
            else PilotError(
                ErrorCode.INTERNAL, f"{source}: the sync stopped: {type(exc).__name__}: {exc}"[:1000]
            )
        )
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
        save_sync_state(
            session,
            report.program_id,
            report.source,
            cursor={"value": report.cursor} if report.cursor is not None else None,
            now=pilot.now(),
            error=error,
            failures=[f.model_dump(mode="json") for f in report.failures[-100:]],
        )


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
            )
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
        pilot,
        params["program_id"],
        params["source"],
        census=bool(params.get("census", True)),
        progress=lambda _what, done, total: progress(done, total),
    )
    return report.brief()


@register_job(INDEX_JOB)
def _index_job(pilot: Pilot, params: dict[str, Any], progress: JobProgress) -> dict[str, Any]:
    """Index what is stored and not yet indexed (idempotent: indexed documents are skipped, and a
    document changed meanwhile stays pending for the next run)."""
    program_id = params["program_id"]
    report = IngestReport(program_id=program_id, source="index")
    target = _index_for(pilot, None)
    remove_deleted(pilot, program_id, target, report)
    index_pending(
        pilot, program_id, target, report, progress=lambda _what, done, total: progress(done, total)
    )
    return report.brief()
