"""The review queue's storage: drafts with their findings, provenance and decision."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilot.domain.drafts import Draft, DraftKind, DraftStatus, Provenance
from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.findings import Finding
from pilot.store.tables import DraftRow


def to_draft(row: DraftRow) -> Draft:
    return Draft(
        id=row.id,
        program_id=row.program_id,
        kind=DraftKind(row.kind),
        payload=row.payload,
        status=DraftStatus(row.status),
        findings=[Finding.model_validate(f) for f in row.findings],
        provenance=Provenance.model_validate(row.provenance),
        created_at=row.created_at,
        meeting_date=row.meeting_date,
        source_document_id=row.source_document_id,
        job_id=row.job_id,
        record_ref=row.record_ref,
    )


def add_draft(
    session: Session,
    *,
    program_id: str,
    kind: DraftKind,
    payload: dict[str, Any],
    findings: Sequence[Finding],
    provenance: Provenance,
    now: datetime,
    meeting_date: date | None = None,
    source_document_id: int | None = None,
    job_id: str | None = None,
    draft_id: str | None = None,
) -> DraftRow:
    row = DraftRow(
        id=draft_id or str(uuid.uuid4()),
        program_id=program_id,
        kind=kind.value,
        payload=payload,
        status=DraftStatus.PENDING.value,
        findings=[f.model_dump(mode="json") for f in findings],
        provenance=provenance.model_dump(mode="json"),
        created_at=now,
        meeting_date=meeting_date,
        source_document_id=source_document_id,
        job_id=job_id,
        version=1,
    )
    session.add(row)
    session.flush()
    return row


def job_draft_ids(session: Session, program_id: str, job_id: str) -> list[str]:
    """Ids of the drafts a job wrote, in the order it wrote them."""
    query = (
        select(DraftRow.id)
        .where(DraftRow.program_id == program_id, DraftRow.job_id == job_id)
        .order_by(DraftRow.created_at, DraftRow.id)
    )
    return list(session.execute(query).scalars())


def get_draft_row(session: Session, program_id: str, draft_id: str, *, lock: bool = False) -> DraftRow:
    row = session.get(DraftRow, draft_id, with_for_update=lock)
    if row is None or row.program_id != program_id:
        raise PilotError(ErrorCode.NOT_FOUND, f"draft {draft_id} not found in program {program_id!r}")
    if lock:
        # The identity map may hold a copy read before the lock was taken; read it again.
        session.refresh(row)
    return row


def list_draft_rows(
    session: Session,
    program_id: str,
    *,
    status: DraftStatus | None = DraftStatus.PENDING,
    kind: DraftKind | None = None,
    job_id: str | None = None,
    limit: int = 500,
) -> list[DraftRow]:
    query = select(DraftRow).where(DraftRow.program_id == program_id)
    if status is not None:
        query = query.where(DraftRow.status == status.value)
    if kind is not None:
        query = query.where(DraftRow.kind == kind.value)
    if job_id is not None:
        query = query.where(DraftRow.job_id == job_id)
    return list(session.execute(query.order_by(DraftRow.created_at, DraftRow.id).limit(limit)).scalars())
