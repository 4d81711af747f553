"""Source documents stored verbatim with their content hash, before any processing.

Upsert is keyed by (program, source, external id): unchanged content is a no-op, changed content
replaces the stored text and marks the document for re-indexing, and a census of the ids still
present at the source marks the rest deleted.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pilot.domain.documents import Document, DocumentKind, Turn
from pilot.domain.errors import ErrorCode, PilotError
from pilot.store.tables import DocumentRow, SyncStateRow


class UpsertOutcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    RESTORED = "restored"


def upsert_document(session: Session, doc: Document, now: datetime) -> tuple[DocumentRow, UpsertOutcome]:
    row = session.execute(
        select(DocumentRow).where(
            DocumentRow.program_id == doc.program_id,
            DocumentRow.source == doc.source,
            DocumentRow.external_id == doc.external_id,
        )
    ).scalar_one_or_none()
    values: dict[str, Any] = {
        "kind": doc.kind.value,
        "title": doc.title,
        "text": doc.text,
        "content_hash": doc.content_hash,
        "url": doc.url,
        "author": doc.author,
        "created_at": doc.created_at,
        "updated_at": doc.updated_at,
        "meeting_date": doc.meeting_date,
        "turns": [t.model_dump(mode="json") for t in doc.turns],
        "meta": doc.metadata,
        "warnings": list(doc.warnings),
    }
    if row is None:
        row = DocumentRow(
            program_id=doc.program_id,
            source=doc.source,
            external_id=doc.external_id,
            stored_at=now,
            index_state="pending",
            **values,
        )
        session.add(row)
        session.flush()
        return row, UpsertOutcome.CREATED
    if row.deleted_at is not None:
        outcome = UpsertOutcome.RESTORED
    elif row.content_hash == doc.content_hash and row.meta == doc.metadata and row.title == doc.title:
        return row, UpsertOutcome.UNCHANGED
    else:
        outcome = UpsertOutcome.UPDATED
    for key, value in values.items():
        setattr(row, key, value)
    row.stored_at = now
    row.deleted_at = None
    row.index_state = "pending"
    row.index_error = None
    session.flush()
    return row, outcome


def find_document_row(session: Session, program_id: str, source: str, external_id: str) -> DocumentRow | None:
    return session.execute(
        select(DocumentRow).where(
            DocumentRow.program_id == program_id,
            DocumentRow.source == source,
            DocumentRow.external_id == external_id,
        )
    ).scalar_one_or_none()


def adopt_previous_id(session: Session, program_id: str, source: str, previous: str, current: str) -> bool:
    """The document stored under `previous` (an id an earlier version gave the item) takes the
    id `current`, unless one is stored under `current` already; it keeps its row (and with it
    everything that refers to it) and is indexed again under its new key."""
    rows = {
        row.external_id: row
        for row in session.execute(
            select(DocumentRow).where(
                DocumentRow.program_id == program_id,
                DocumentRow.source == source,
                DocumentRow.external_id.in_([previous, current]),
            )
        ).scalars()
    }
    old = rows.get(previous)
    if old is None or current in rows or previous == current:
        return False
    old.external_id = current
    old.index_state = "pending"
    session.flush()
    return True


def to_document(row: DocumentRow) -> Document:
    return Document(
        program_id=row.program_id,
        source=row.source,
        external_id=row.external_id,
        kind=DocumentKind(row.kind),
        title=row.title,
        text=row.text,
        url=row.url,
        author=row.author,
        created_at=row.created_at,
        updated_at=row.updated_at,
        meeting_date=row.meeting_date,
        turns=[Turn.model_validate(t) for t in row.turns],
        metadata=row.meta,
        warnings=row.warnings,
    )


def get_document_row(session: Session, program_id: str, document_id: int) -> DocumentRow:
    row = session.get(DocumentRow, document_id)
    if row is None or row.program_id != program_id or row.deleted_at is not None:
        raise PilotError(ErrorCode.NOT_FOUND, f"document {document_id} not found in program {program_id!r}")
    return row


def document_text_size(session: Session, document_id: int) -> int:
    """Characters of a stored document's text (0 when it is gone), read without loading its turns."""
    return session.scalar(select(func.length(DocumentRow.text)).where(DocumentRow.id == document_id)) or 0


def document_headings(
    session: Session, program_id: str, document_ids: list[int]
) -> dict[int, tuple[str | None, date | None]]:
    """Title and meeting date of each live document among `document_ids` (gone ones are left out)."""
    if not document_ids:
        return {}
    rows = session.execute(
        select(DocumentRow.id, DocumentRow.title, DocumentRow.meeting_date).where(
            DocumentRow.id.in_(document_ids),
            DocumentRow.program_id == program_id,
            DocumentRow.deleted_at.is_(None),
        )
    )
    return {row.id: (row.title, row.meeting_date) for row in rows}


def list_document_rows(
    session: Session, program_id: str, *, source: str | None = None, index_state: str | None = None
) -> list[DocumentRow]:
    query = select(DocumentRow).where(DocumentRow.program_id == program_id, DocumentRow.deleted_at.is_(None))
    if source is not None:
        query = query.where(DocumentRow.source == source)
    if index_state is not None:
        query = query.where(DocumentRow.index_state == index_state)
    return list(session.execute(query.order_by(DocumentRow.id)).scalars())


def mark_deleted_except(
    session: Session, program_id: str, source: str, present: Iterable[str], now: datetime
) -> list[DocumentRow]:
    """Census: every live document of the source whose external id is not `present` is deleted."""
    keep = set(present)
    gone = [r for r in list_document_rows(session, program_id, source=source) if r.external_id not in keep]
    for row in gone:
        row.deleted_at = now
    session.flush()
    return gone


def get_sync_state(session: Session, program_id: str, source: str) -> SyncStateRow | None:
    return session.get(SyncStateRow, (program_id, source))


def save_sync_state(
    session: Session,
    program_id: str,
    source: str,
    *,
    cursor: dict[str, Any] | None,
    now: datetime,
    error: str | None = None,
    failures: list[dict[str, Any]] | None = None,
) -> None:
    row = session.get(SyncStateRow, (program_id, source))
    if row is None:
        row = SyncStateRow(program_id=program_id, source=source)
        session.add(row)
    if cursor is not None:
        row.cursor = cursor
    row.last_run_at = now
    row.last_error = error
    row.failures = failures or []
    session.flush()
