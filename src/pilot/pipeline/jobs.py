"""Background jobs: a registry of handlers, the run of one job under a lease, and `JobRunner`, the
entry point the API, web pages and CLI use to enqueue, retry, read and wait for jobs.

The job row in SQL is the record (what was asked, progress, outcome); a queue only carries job ids
to workers. Two queues:
- `local` (the embedded default): worker threads in the serving process take queued rows from the
  jobs table; at start-up (and every few seconds) running jobs whose worker died are requeued, or
  failed and retryable after `job_max_attempts` interruptions.
- `procrastinate` (server mode): the API enqueues on PostgreSQL in the same transaction as the job
  row (`pilot.pipeline.queue_pg`); `pilot worker` processes run the jobs; a worker that stops
  heartbeating has its jobs retried by another.
Either way a run holds a lease on the row (heartbeat + attempt number as a fencing token), so a run
that was taken over writes nothing: a job's result and drafts are written once.
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import event
from sqlalchemy.orm import Session

from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.jobs import Job, JobStatus
from pilot.pipeline.context import Pilot
from pilot.pipeline.heap import resume_collection
from pilot.settings import Settings
from pilot.store.jobs import (
    Claim,
    ClaimOutcome,
    LeaseLost,
    claim_job,
    create_job,
    finish_job,
    get_job_row,
    next_queued,
    recover_interrupted,
    release_job,
    renew_lease,
    reopen_job,
    to_job,
    wall_clock,
    worker_name,
)
from pilot.store.tables import JobRow

log = logging.getLogger("pilot.jobs")

# A handler does the work; `report(done, total)` records progress. It returns the job's result.
# It receives its job's id, program and attempt in `params` ("job_id", "program_id", "job_attempt").
Progress = Callable[[int, int], None]
JobHandler = Callable[[Pilot, dict[str, Any], Progress], dict[str, Any]]

_HANDLERS: dict[str, JobHandler] = {}


def register_job(kind: str) -> Callable[[JobHandler], JobHandler]:
    def decorator(handler: JobHandler) -> JobHandler:
        _HANDLERS[kind] = handler
        return handler

    return decorator


def job_kinds() -> list[str]:
    _load_handlers()
    return sorted(_HANDLERS)


# Modules that register job kinds. A worker process imports only these, so a module with a
# `@register_job` must be listed here (tests/jobs checks it).
JOB_MODULES = (
    "pilot.pipeline.extract",
    "pilot.pipeline.ingest",
    "pilot.pipeline.job_kinds",
    "pilot.pipeline.delivery",
)


def _load_handlers() -> None:
    for name in JOB_MODULES:
        importlib.import_module(name)


@dataclass(frozen=True)
class JobPolicy:
    heartbeat_s: float = 5.0
    stall_s: float = 30.0
    max_attempts: int = 3

    @classmethod
    def from_settings(cls, settings: Settings) -> JobPolicy:
        return cls(settings.job_heartbeat_s, settings.job_stall_s, settings.job_max_attempts)

    @property
    def stall(self) -> timedelta:
        return timedelta(seconds=self.stall_s)


# --- one run ---------------------------------------------------------------------------------------


class _Lease:
    """Renews a run's heartbeat on a thread; notices when the run lost its job."""

    def __init__(self, pilot: Pilot, job_id: str, attempt: int, interval: float) -> None:
        self.pilot, self.job_id, self.attempt = pilot, job_id, attempt
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, args=(interval,), daemon=True, name="job-lease")
        self._thread.start()

    def _beat(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                with self.pilot.db.transaction() as session:
                    held = renew_lease(session, self.job_id, self.attempt, wall_clock())
            except PilotError:
                continue  # the database blinked; the next beat tries again
            if not held:
                self.lost = True
                return

    def report(self, done: int, total: int) -> None:
        with self.pilot.db.transaction() as session:
            held = renew_lease(session, self.job_id, self.attempt, wall_clock(), progress=(done, total))
        if not held or self.lost:
            raise LeaseLost(self.job_id, self.attempt)

    def stop(self) -> None:
        self._stop.set()


def execute_job(
    pilot: Pilot,
    job_id: str,
    *,
    worker: str,
    policy: JobPolicy,
    on_claim: Callable[[str, int], None] | None = None,
) -> ClaimOutcome:
    """Claim the job and run it to its outcome. Returns what the claim found (a job finished or
    held elsewhere is not run again). `on_claim(job_id, attempt)` lets a worker track its runs."""
    with pilot.db.transaction() as session:
        claim = claim_job(
            session,
            job_id,
            worker=worker,
            now=wall_clock(),
            stall=policy.stall,
            max_attempts=policy.max_attempts,
        )
    if claim.outcome == ClaimOutcome.CLAIMED:
        if on_claim is not None:
            on_claim(job_id, claim.attempt)
        run_claimed(pilot, job_id, claim, policy)
    return claim.outcome


def run_claimed(
    pilot: Pilot, job_id: str, claim: Claim, policy: JobPolicy, observer: Progress | None = None
) -> None:
    """Run a claimed job; `observer(done, total)` also hears each progress report (the CLI's bar)."""
    with pilot.db.transaction() as session:
        row = get_job_row(session, job_id)
        kind, program_id, actor = row.kind, row.program_id, row.requested_by
        params = {
            **dict(row.params),
            "job_id": job_id,
            "program_id": program_id,
            "job_attempt": claim.attempt,
        }
    handler = _HANDLERS.get(kind)
    as_requester = dataclasses.replace(pilot, actor=actor or pilot.actor)
    lease = _Lease(pilot, job_id, claim.attempt, policy.heartbeat_s)
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    try:
        if handler is None:
            raise PilotError(ErrorCode.INTERNAL, f"no handler for job kind {kind!r}")
        result = handler(as_requester, params, _observed(lease.report, observer))
    except LeaseLost:
        log.warning("job %s attempt %d lost its lease; its outcome is discarded", job_id, claim.attempt)
        return
    except PilotError as exc:
        error = exc.to_dict()
    except Exception as exc:  # noqa: BLE001 - a job failure is recorded as data, never lost
        log.exception("job %s (%s) failed", job_id, kind)
        error = {"code": ErrorCode.INTERNAL.value, "message": f"{type(exc).__name__}: {exc}"}
    finally:
        lease.stop()
    with pilot.db.transaction() as session:
        finish_job(session, job_id, claim.attempt, now=pilot.now(), result=result, error=error)


def _observed(report: Progress, observer: Progress | None) -> Progress:
    if observer is None:
        return report

    def both(done: int, total: int) -> None:
        report(done, total)
        observer(done, total)

    return both


# --- queues ----------------------------------------------------------------------------------------


class JobQueue(Protocol):
    """Carries job ids to workers. `enqueue` runs inside the transaction that created the row."""

    def enqueue(self, session: Session, row: JobRow) -> None: ...

    def after_commit(self) -> None: ...

    def shutdown(self, grace_s: float) -> None: ...


class LocalWorkers:
    """Worker threads over the jobs table: the embedded default's queue, and `pilot worker` with
    `PILOT_QUEUE=local`. Other processes' queued rows are found by polling."""

    def __init__(self, pilot: Pilot, *, threads: int, policy: JobPolicy, poll_s: float = 2.0) -> None:
        _load_handlers()
        self.pilot, self.policy, self.poll_s = pilot, policy, poll_s
        self.name = worker_name("local")
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._running: dict[str, int] = {}  # job id -> attempt held by this process
        self.recover()
        self._threads = [
            threading.Thread(target=self._loop, daemon=True, name=f"pilot-job-{i}") for i in range(threads)
        ]
        for thread in self._threads:
            thread.start()

    def enqueue(self, session: Session, row: JobRow) -> None:
        return None  # the row itself is the queue entry

    def after_commit(self) -> None:
        self._wake.set()

    def recover(self) -> None:
        """Requeue (or fail, past the attempt limit) running jobs whose worker is gone."""
        with self.pilot.db.transaction() as session:
            requeued, failed = recover_interrupted(
                session, now=wall_clock(), stall=self.policy.stall, max_attempts=self.policy.max_attempts
            )
        if requeued or failed:
            log.warning("interrupted jobs: requeued %s, failed (retryable) %s", requeued, failed)
            self._wake.set()

    def _loop(self) -> None:
        last_recovery = time.monotonic()
        while not self._stopping.is_set():
            self._wake.wait(self.poll_s)
            self._wake.clear()
            if time.monotonic() - last_recovery > self.policy.heartbeat_s:
                last_recovery = time.monotonic()
                self._guard(self.recover)
            while not self._stopping.is_set() and self._guard(self._take_one):
                pass

    def _guard(self, step: Callable[[], Any]) -> Any:
        try:
            return step()
        except Exception:  # noqa: BLE001 - a worker thread must outlive a database outage
            log.exception("job worker step failed")
            time.sleep(self.poll_s)
            return False

    def _take_one(self) -> bool:
        with self.pilot.db.reading() as session:  # polling reads; claiming the job writes
            candidates = next_queued(session)
        for job_id in candidates:
            try:
                outcome = execute_job(
                    self.pilot, job_id, worker=self.name, policy=self.policy, on_claim=self._track
                )
            finally:
                with self._lock:
                    self._running.pop(job_id, None)
            if outcome == ClaimOutcome.CLAIMED:
                return True
        return False

    def _track(self, job_id: str, attempt: int) -> None:
        with self._lock:
            self._running[job_id] = attempt

    def shutdown(self, grace_s: float) -> None:
        """Stop taking jobs; give running ones `grace_s` to finish, then hand them back to the
        queue (the next start runs them). Queued jobs stay queued: nothing waits for them."""
        self._stopping.set()
        self._wake.set()
        deadline = time.monotonic() + grace_s
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            unfinished = dict(self._running)
        for job_id, attempt in unfinished.items():
            with self.pilot.db.transaction() as session:
                release_job(session, job_id, attempt)
        if unfinished:  # their threads stop at their next progress report (the lease is gone)
            resume_collection()


class JobRunner:
    """Enqueue, retry, read and wait for jobs. `inline=True` runs a job in the caller's thread (the
    CLI, tests); otherwise the queue carries it to a worker."""

    def __init__(
        self, pilot: Pilot, *, workers: int = 2, inline: bool = False, queue: JobQueue | None = None
    ) -> None:
        self.pilot = pilot
        self.inline = inline
        self.policy = JobPolicy.from_settings(pilot.settings)
        self.queue: JobQueue | None = None
        if not inline:
            self.queue = queue or LocalWorkers(pilot, threads=workers, policy=self.policy)
        else:
            _load_handlers()
        self._worker = worker_name("inline")
        self._claims: dict[str, Claim] = {}
        self.observer: Progress | None = None  # inline runs: also told each progress report

    def enqueue(
        self,
        session: Session,
        kind: str,
        program_id: str,
        params: dict[str, Any],
        *,
        actor: str | None = None,
    ) -> JobRow:
        """Create the job in the caller's transaction (with the document it works on, say); it
        reaches a worker when that transaction commits."""
        _load_handlers()
        if kind not in _HANDLERS:
            raise PilotError(ErrorCode.INTERNAL, f"no handler for job kind {kind!r}")
        row = create_job(
            session,
            kind=kind,
            program_id=program_id,
            params=params,
            now=self.pilot.now(),
            requested_by=actor or self.pilot.actor,
        )
        self._dispatch(session, row)
        return row

    def _dispatch(self, session: Session, row: JobRow) -> None:
        if self.inline:
            # Claimed in the creating transaction: no other process's worker can take it first.
            self._claims[row.id] = claim_job(
                session,
                row.id,
                worker=self._worker,
                now=wall_clock(),
                stall=self.policy.stall,
                max_attempts=self.policy.max_attempts,
            )
        if self.queue is not None:
            self.queue.enqueue(session, row)
            event.listen(session, "after_commit", lambda _s: self._after_commit(), once=True)

    def _after_commit(self) -> None:
        if self.queue is not None:
            self.queue.after_commit()

    def submit(self, kind: str, program_id: str, params: dict[str, Any], *, actor: str | None = None) -> Job:
        with self.pilot.db.transaction() as session:
            job = to_job(self.enqueue(session, kind, program_id, params, actor=actor))
        if self.inline:
            return self.run_now(job.id)
        return job

    def run_now(self, job_id: str) -> Job:
        """Run the job in this thread (inline runners)."""
        claim = self._claims.pop(job_id, None)
        if claim is not None and claim.outcome == ClaimOutcome.CLAIMED:
            run_claimed(self.pilot, job_id, claim, self.policy, self.observer)
        elif claim is None:
            execute_job(self.pilot, job_id, worker=self._worker, policy=self.policy)
        return self.get(job_id)

    def retry(self, job_id: str, program_id: str) -> Job:
        with self.pilot.db.transaction() as session:
            row = reopen_job(session, job_id, program_id, now=wall_clock(), stall=self.policy.stall)
            self._dispatch(session, row)
        if self.inline:
            return self.run_now(job_id)
        return self.get(job_id)

    def get(self, job_id: str, program_id: str | None = None) -> Job:
        with self.pilot.db.reading() as session:
            return to_job(get_job_row(session, job_id, program_id))

    def wait(self, job_id: str, timeout: float | None = None, *, poll_s: float = 0.05) -> Job:
        """Poll the job row until it has an outcome or `timeout` seconds pass."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            job = self.get(job_id)
            if job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
                return job
            if deadline is not None and time.monotonic() >= deadline:
                return job
            time.sleep(poll_s)
            poll_s = min(poll_s * 1.5, 0.5)

    def shutdown(self, grace_s: float = 5.0) -> None:
        if self.queue is not None:
            self.queue.shutdown(grace_s)


def open_runner(pilot: Pilot) -> JobRunner:
    """The runner of an API process: the configured queue (the local one runs worker threads here;
    procrastinate only enqueues, `pilot worker` runs the jobs)."""
    if pilot.settings.queue == "procrastinate":
        from pilot.pipeline.queue_pg import ProcrastinateQueue, build_app

        return JobRunner(pilot, queue=ProcrastinateQueue(build_app(pilot)))
    return JobRunner(pilot, workers=pilot.settings.job_workers)


def outcome_or_raise(job: Job) -> dict[str, Any] | None:
    """A finished job's result; its recorded error raised again (so a short job answered within the
    request keeps the HTTP status of its error); None while it is still queued or running."""
    if job.status == JobStatus.SUCCEEDED:
        return job.result or {}
    if job.status == JobStatus.FAILED:
        error = job.error or {}
        try:
            code = ErrorCode(error.get("code", "internal"))
        except ValueError:
            code = ErrorCode.INTERNAL
        raise PilotError(code, str(error.get("message", "the job failed")), details=error.get("details"))
    return None
