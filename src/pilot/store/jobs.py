"""Jobs table access: create, claim, progress, finish."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.jobs import Job, JobStatus
from pilot.store.tables import JobRow


def to_job(row: JobRow) -> Job:
    return Job.model_validate(row, from_attributes=True)


def create_job(
    session: Session, *, kind: str, program_id: str, params: dict[str, Any], now: datetime
) -> JobRow:
    row = JobRow(
        id=str(uuid.uuid4()),
        kind=kind,
        program_id=program_id,
        status=JobStatus.QUEUED.value,
        progress=0,
        total=0,
        params=params,
        attempts=0,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def get_job_row(
    session: Session, job_id: str, program_id: str | None = None, *, lock: bool = False
) -> JobRow:
    row = session.get(JobRow, job_id, with_for_update=lock)
    if row is None or (program_id is not None and row.program_id != program_id):
        raise PilotError(ErrorCode.NOT_FOUND, f"job {job_id} not found")
    return row


def list_job_rows(session: Session, program_id: str, limit: int = 100) -> list[JobRow]:
    query = (
        select(JobRow).where(JobRow.program_id == program_id).order_by(JobRow.created_at.desc()).limit(limit)
    )
    return list(session.execute(query).scalars())
