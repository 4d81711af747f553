"""Ingest: files and folders, or a source's API, into the document store and then the index.

Every document is stored (verbatim, with its content hash) before it is indexed; indexing reads
from the store, so a crash or an index failure leaves documents marked `pending`/`failed` for the
next run to pick up. One unreadable file or record is a recorded failure; the rest go on.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, Field

from pilot.connectors.base import Connector, PullBatch, build_connector, failure
from pilot.connectors.github import issue_document as github_issue
from pilot.connectors.jira import import_jira_csv
from pilot.connectors.jira import issue_document as jira_issue
from pilot.connectors.pagerduty import incident_document
from pilot.connectors.transcripts import parse_transcript
from pilot.domain.documents import ConnectorFailure, Document
from pilot.domain.errors import ErrorCode, PilotError
from pilot.pipeline.context import Pilot
from pilot.store.documents import (
    UpsertOutcome,
    get_sync_state,
    list_document_rows,
    mark_deleted_except,
    save_sync_state,
    to_document,
    upsert_document,
)
from pilot.store.programs import load_program
from pilot.store.tables import DocumentRow

TEXT_SUFFIXES = {".vtt", ".srt", ".txt", ".md", ".markdown", ".json", ".csv"}
Progress = Callable[[str, int, int], None]  # (what, done, total)


class IndexLike(Protocol):
    def add_documents(self, docs: Sequence[Document]) -> int: ...

    def remove_document(self, program_id: str, document_key: str) -> None: ...


class DocumentSummary(BaseModel):
    key: str
    title: str
    kind: str
    outcome: str
    turns: int = 0
    warnings: list[str] = Field(default_factory=list)


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
    documents: list[DocumentSummary] = Field(default_factory=list)
    failures: list[ConnectorFailure] = Field(default_factory=list)

    def count(self, outcome: UpsertOutcome) -> None:
        setattr(self, outcome.value, getattr(self, outcome.value) + 1)


def _store(pilot: Pilot, report: IngestReport, docs: Iterable[Document]) -> None:
    with pilot.db.transaction() as session:
        for doc in docs:
            _, outcome = upsert_document(session, doc, pilot.now())
            report.count(outcome)
            report.documents.append(DocumentSummary(key=doc.key, title=doc.title, kind=doc.kind.value,
                                                    outcome=outcome.value, turns=len(doc.turns),
                                                    warnings=list(doc.warnings)))  # fmt: skip


def index_pending(
    pilot: Pilot, program_id: str, index: IndexLike, report: IngestReport, batch: int = 64
) -> None:
    """Index every stored document not yet indexed (new, changed, or failed before)."""
    with pilot.db.transaction() as session:
        rows = [r for r in list_document_rows(session, program_id) if r.index_state != "indexed"]
        pending = [(r.id, to_document(r)) for r in rows]
    for start in range(0, len(pending), batch):
        part = pending[start : start + batch]
        try:
            chunks = index.add_documents([doc for _, doc in part])
            state, error = "indexed", None
            report.indexed_documents += len(part)
            report.indexed_chunks += chunks
        except Exception as exc:  # noqa: BLE001 - recorded on the documents; the next run retries them
            state, error = "failed", f"{type(exc).__name__}: {exc}"[:2000]
            report.index_failures += len(part)
        with pilot.db.transaction() as session:
            for doc_id, _ in part:
                row = session.get(DocumentRow, doc_id)
                if row is not None:
                    row.index_state, row.index_error = state, error


def _remove_deleted(index: IndexLike, program_id: str, keys: Iterable[str]) -> None:
    for key in keys:
        index.remove_document(program_id, key)


# --- files ---------------------------------------------------------------------------------------


def iter_files(paths: Sequence[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(p for p in sorted(path.rglob("*")) if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES
                         and not p.name.lower().startswith(("readme", "pagerduty_notes_")))  # fmt: skip
        elif path.is_file():
            found.append(path)
        else:
            raise PilotError(ErrorCode.INVALID_INPUT, f"{path}: no such file or folder")
    return found


def read_file(path: Path, program_id: str, meeting_date: date | None, max_bytes: int) -> PullBatch:
    """One file -> documents: a transcript or notes, or an export of tickets or incidents."""
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return import_jira_csv(data.decode("utf-8-sig", errors="replace"), program_id)
    if suffix == ".json":
        try:
            raw: Any = json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raw = None
        batch = _export_documents(raw, path, program_id)
        if batch is not None:
            return batch
    doc = parse_transcript(data, filename=path.name, program_id=program_id, meeting_date=meeting_date,
                           source="file", external_id=str(path.resolve()), max_bytes=max_bytes)  # fmt: skip
    return PullBatch(documents=[doc])


def _export_documents(raw: Any, path: Path, program_id: str) -> PullBatch | None:
    """Recognize a saved API response by its shape; None when it is not one (a JSON transcript)."""
    batch = PullBatch()
    if (
        isinstance(raw, dict)
        and isinstance(raw.get("issues"), list)
        and all("fields" in i for i in raw["issues"])
    ):
        for item in raw["issues"]:
            _safely(
                batch,
                "jira",
                item.get("key"),
                partial(jira_issue, item, program_id, _jira_base(item)),
            )
        return batch
    if (
        isinstance(raw, list)
        and raw
        and all(isinstance(i, dict) and "number" in i and "html_url" in i for i in raw)
    ):
        repo = "/".join(str(raw[0]["html_url"]).split("/")[3:5])
        for item in raw:
            _safely(
                batch,
                "github",
                str(item.get("number")),
                partial(github_issue, item, program_id, repo),
            )
        return batch
    if isinstance(raw, dict) and isinstance(raw.get("incidents"), list):
        for item in raw["incidents"]:
            notes_file = path.with_name(f"pagerduty_notes_{item.get('id')}.json")
            notes = json.loads(notes_file.read_text()).get("notes", []) if notes_file.is_file() else []
            _safely(
                batch,
                "pagerduty",
                item.get("id"),
                partial(incident_document, item, program_id, notes),
            )
        return batch
    return None


def _jira_base(item: dict[str, Any]) -> str:
    self_url = str(item.get("self", ""))
    return self_url.split("/rest/")[0] if "/rest/" in self_url else ""


def _safely(batch: PullBatch, source: str, external_id: object, build: Callable[[], Document]) -> None:
    try:
        batch.documents.append(build())
    except (KeyError, TypeError, ValueError) as exc:
        batch.failures.append(failure(source, str(external_id) if external_id else None, exc))


def ingest_paths(
    pilot: Pilot,
    program_id: str,
    paths: Sequence[Path],
    *,
    index: IndexLike,
    meeting_date: date | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    with pilot.db.transaction() as session:
        load_program(session, program_id)
    files = iter_files(paths)
    report = IngestReport(program_id=program_id, source="file")
    seen: dict[str, Path] = {}
    for done, path in enumerate(files, start=1):
        try:
            batch = read_file(path, program_id, meeting_date, pilot.settings.max_transcript_bytes)
        except PilotError as exc:
            report.failures.append(failure("file", str(path), exc.message))
            continue
        except OSError as exc:
            report.failures.append(failure("file", str(path), f"cannot read: {exc}"))
            continue
        report.failures.extend(batch.failures)
        # The same ticket in two exports of one run (an API page and a CSV) is stored once, from
        # the first file, so re-running the same ingest is a no-op instead of a flip-flop.
        fresh = []
        for doc in batch.documents:
            if doc.key in seen:
                report.failures.append(
                    failure(doc.source, doc.external_id, f"also in {seen[doc.key].name}; kept that one")
                )
                continue
            seen[doc.key] = path
            fresh.append(doc)
        _store(pilot, report, fresh)
        if progress:
            progress("storing", done, len(files))
    if progress:
        progress("indexing", 0, 1)
    index_pending(pilot, program_id, index, report)
    return report


# --- sources with an API -------------------------------------------------------------------------


def sync_source(
    pilot: Pilot,
    program_id: str,
    source: str,
    *,
    index: IndexLike,
    connector: Connector | None = None,
    census: bool = True,
    progress: Progress | None = None,
) -> IngestReport:
    with pilot.db.transaction() as session:
        load_program(session, program_id)
        state = get_sync_state(session, program_id, source)
        cursor = (state.cursor or {}).get("value") if state is not None else None
    connector = connector or build_connector(source, pilot.settings)
    report = IngestReport(program_id=program_id, source=source, cursor=cursor)
    try:
        for number, batch in enumerate(connector.pull(program_id, cursor), start=1):
            report.failures.extend(batch.failures)
            _store(pilot, report, batch.documents)
            report.cursor = batch.cursor or report.cursor
            with pilot.db.transaction() as session:  # checkpoint: a later failure resumes from here
                save_sync_state(session, program_id, source, cursor={"value": report.cursor}, now=pilot.now(),
                                failures=[f.model_dump(mode="json") for f in report.failures[-100:]])  # fmt: skip
            if progress:
                progress("pulling", number, 0)
        if census:
            present = connector.census(program_id)
            if present is not None:
                with pilot.db.transaction() as session:
                    gone = mark_deleted_except(session, program_id, source, present, pilot.now())
                    gone_keys = [f"{row.source}:{row.external_id}" for row in gone]
                report.deleted = len(gone_keys)
                _remove_deleted(index, program_id, gone_keys)
    except PilotError as exc:
        with pilot.db.transaction() as session:
            save_sync_state(session, program_id, source, cursor=None, now=pilot.now(), error=exc.message,
                            failures=[f.model_dump(mode="json") for f in report.failures[-100:]])  # fmt: skip
        index_pending(pilot, program_id, index, report)  # what was stored before the failure is searchable
        raise
    index_pending(pilot, program_id, index, report)
    return report
