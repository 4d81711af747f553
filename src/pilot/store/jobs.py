"""Jobs table access: create, claim (with a lease), heartbeat, finish, and recover interrupted jobs.

The job row is the record of a job whatever carries it (the in-process worker or the queue): a
worker claims it by bumping `attempts` and writing its name and a heartbeat; `attempts` is then
the fencing token of that run. Every later write of the run (progress, drafts, the outcome) is
accepted only while the row is still `running` with that attempt, so a run that was presumed dead
and taken over can never write a second result.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pilot.clock import system_clock
from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.jobs import Job, JobStatus
from pilot.store.tables import JobRow, ProgramRow

HOST = socket.gethostname()


def wall_clock() -> datetime:
    """Leases run on the machine's clock, never on a program clock (which may be fixed)."""
    return system_clock()


def worker_name(label: str = "worker") -> str:
    """`host:pid:label-xxxx`: unique per process and start, and tells where the worker runs."""
    return f"{HOST}:{os.getpid()}:{label}-{uuid.uuid4().hex[:6]}"


def to_job(row: JobRow) -> Job:
    return Job.model_validate(row, from_attributes=True)


def create_job(
    session: Session,
    *,
    kind: str,
    program_id: str,
    params: dict[str, Any],
    now: datetime,
    requested_by: str | None = None,
) -> JobRow:
    if session.get(ProgramRow, program_id) is None:
        raise PilotError(ErrorCode.NOT_FOUND, f"program {program_id!r} not found")
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
        requested_by=requested_by,
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
    if lock:
        session.refresh(row)  # the identity map may hold a copy read before the lock
    return row


# --- leases ----------------------------------------------------------------------------------------


class ClaimOutcome(StrEnum):
    CLAIMED = "claimed"
    DONE = "done"  # succeeded or failed already: nothing to run (a duplicate delivery)
    BUSY = "busy"  # another live worker holds it: come back later
    EXHAUSTED = "exhausted"  # interrupted too often: failed, retryable by a person


@dataclass(frozen=True)
class Claim:
    outcome: ClaimOutcome
    attempt: int = 0


def worker_is_dead(worker: str | None) -> bool:
    """True when the worker ran on this host and its process is gone (kill -9, crash, reboot)."""
    if not worker:
        return True
    host, _, rest = worker.partition(":")
    pid_text = rest.partition(":")[0]
    if host != HOST or not pid_text.isdigit():
        return False  # another machine: only its heartbeat can tell
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def lease_expired(row: JobRow, now: datetime, stall: timedelta) -> bool:
    beat = row.heartbeat_at or row.started_at
    return beat is None or beat < now - stall or worker_is_dead(row.worker)


def claim_job(
    session: Session, job_id: str, *, worker: str, now: datetime, stall: timedelta, max_attempts: int
) -> Claim:
    """Take the job for `worker`: a queued job, or a running one whose lease expired (its worker
    died). The returned attempt is the fencing token of this run."""
    row = session.get(JobRow, job_id, with_for_update=True)
    if row is None:
        return Claim(ClaimOutcome.DONE)
    session.refresh(row)
    if row.status in (JobStatus.SUCCEEDED.value, JobStatus.FAILED.value):
        return Claim(ClaimOutcome.DONE)
    if row.status == JobStatus.RUNNING.value:
        if not lease_expired(row, now, stall):
            return Claim(ClaimOutcome.BUSY)
        if row.attempts >= max_attempts:
            _mark_interrupted(row, now)
            return Claim(ClaimOutcome.EXHAUSTED)
    row.status = JobStatus.RUNNING.value
    row.attempts += 1
    row.worker, row.heartbeat_at = worker, now
    row.started_at = now
    row.error = None
    return Claim(ClaimOutcome.CLAIMED, row.attempts)


def _mark_interrupted(row: JobRow, now: datetime) -> None:
    row.status = JobStatus.FAILED.value
    row.finished_at = now
    row.error = {
        "code": ErrorCode.INTERRUPTED.value,
        "message": f"the worker stopped during this job ({row.attempts} attempt(s)); retry it",
        "retryable": True,
    }


def still_holds(session: Session, job_id: str, attempt: int, *, lock: bool = True) -> JobRow | None:
    """The job row if this run (attempt) still holds it, locked for the caller's transaction."""
    row = session.get(JobRow, job_id, with_for_update=lock)
    if row is None:
        return None
    if lock:
        session.refresh(row)
    if row.status != JobStatus.RUNNING.value or row.attempts != attempt:
        return None
    return row


def require_lease(session: Session, job_id: str, attempt: int) -> JobRow:
    """Lock the job row for a run's final writes; a run that lost its lease must write nothing."""
    row = still_holds(session, job_id, attempt)
    if row is None:
        raise LeaseLost(job_id, attempt)
    return row


class LeaseLost(PilotError):
    """This run's job was taken over (its lease had expired) or finished elsewhere."""

    def __init__(self, job_id: str, attempt: int) -> None:
        super().__init__(ErrorCode.CONFLICT, f"job {job_id}: attempt {attempt} no longer holds the job")


def renew_lease(
    session: Session, job_id: str, attempt: int, now: datetime, progress: tuple[int, int] | None = None
) -> bool:
    values: dict[str, Any] = {"heartbeat_at": now}
    if progress is not None:
        values["progress"], values["total"] = progress
    result = session.execute(
        update(JobRow)
        .where(JobRow.id == job_id, JobRow.attempts == attempt, JobRow.status == JobStatus.RUNNING.value)
        .values(**values)
    )
    return bool(getattr(result, "rowcount", 0))


def finish_job(
    session: Session,
    job_id: str,
    attempt: int,
    *,
    now: datetime,
    result: dict[str, Any] | None = None,
    error: dict[str, Any] | None = None,
) -> bool:
    row = still_holds(session, job_id, attempt)
    if row is None:
        return False
    row.status = (JobStatus.FAILED if error else JobStatus.SUCCEEDED).value
    row.result, row.error = result, error
    row.finished_at = now
    row.heartbeat_at = None
    if not error:
        row.progress = max(row.progress, row.total)
    return True


def release_job(session: Session, job_id: str, attempt: int) -> bool:
    """Give a running job back to the queue (a worker shutting down before it finished)."""
    row = still_holds(session, job_id, attempt)
    if row is None:
        return False
    row.status = JobStatus.QUEUED.value
    row.worker, row.heartbeat_at = None, None
    return True


def recover_interrupted(
    session: Session, *, now: datetime, stall: timedelta, max_attempts: int, program_id: str | None = None
) -> tuple[list[str], list[str]]:
    """Running jobs whose worker died: requeued, or failed (retryable) after `max_attempts`.
    Returns (requeued ids, failed ids)."""
    query = select(JobRow).where(JobRow.status == JobStatus.RUNNING.value).with_for_update()
    if program_id is not None:
        query = query.where(JobRow.program_id == program_id)
    requeued: list[str] = []
    failed: list[str] = []
    for row in session.execute(query).scalars():
        if not lease_expired(row, now, stall):
            continue
        if row.attempts >= max_attempts:
            _mark_interrupted(row, now)
            failed.append(row.id)
        else:
            row.status = JobStatus.QUEUED.value
            row.worker, row.heartbeat_at = None, None
            requeued.append(row.id)
    return requeued, failed


def next_queued(session: Session, kinds: frozenset[str] | None = None) -> list[str]:
    query = select(JobRow.id).where(JobRow.status == JobStatus.QUEUED.value)
    if kinds is not None:
        query = query.where(JobRow.kind.in_(sorted(kinds)))
    return list(session.execute(query.order_by(JobRow.created_at).limit(20)).scalars())


def reopen_job(session: Session, job_id: str, program_id: str, *, now: datetime, stall: timedelta) -> JobRow:
    """A person's retry: a failed job, or a running one whose worker is gone, goes back to the queue
    with the parameters it was created with."""
    row = get_job_row(session, job_id, program_id, lock=True)
    stuck = row.status == JobStatus.RUNNING.value and lease_expired(row, now, stall)
    if row.status != JobStatus.FAILED.value and not stuck:
        raise PilotError(
            ErrorCode.CONFLICT,
            f"job {job_id} is {row.status}; only failed or interrupted jobs are retried",
        )
    row.status = JobStatus.QUEUED.value
    row.error = None
    row.progress = 0
    row.worker, row.heartbeat_at, row.finished_at = None, None, None
    return row
