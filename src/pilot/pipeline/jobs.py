"""Background jobs. Embedded default: an in-process worker thread pool; the job row in SQL holds
progress and outcome, so the API only enqueues and reports, and a failed job can be retried with
the parameters it was created with (its input was stored before it was queued).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.jobs import Job, JobStatus
from pilot.pipeline.context import Pilot
from pilot.store.jobs import create_job, get_job_row, to_job

# A handler does the work; `report(done, total)` records progress. It returns the job's result.
Progress = Callable[[int, int], None]
JobHandler = Callable[[Pilot, dict[str, Any], Progress], dict[str, Any]]

_HANDLERS: dict[str, JobHandler] = {}


def register_job(kind: str) -> Callable[[JobHandler], JobHandler]:
    def decorator(handler: JobHandler) -> JobHandler:
        _HANDLERS[kind] = handler
        return handler

    return decorator


class JobRunner:
    """Runs jobs on worker threads (or inline, for the CLI and tests)."""

    def __init__(self, pilot: Pilot, *, workers: int = 2, inline: bool = False) -> None:
        self.pilot = pilot
        self.inline = inline
        self._pool = (
            None if inline else ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pilot-job")
        )
        self._futures: dict[str, Future[None]] = {}
        self._lock = threading.Lock()

    def submit(self, kind: str, program_id: str, params: dict[str, Any]) -> Job:
        if kind not in _HANDLERS:
            raise PilotError(ErrorCode.INTERNAL, f"no handler for job kind {kind!r}")
        with self.pilot.db.transaction() as session:
            job = to_job(
                create_job(session, kind=kind, program_id=program_id, params=params, now=self.pilot.now())
            )
        self._start(job.id)
        return self.get(job.id) if self.inline else job

    def retry(self, job_id: str, program_id: str) -> Job:
        with self.pilot.db.transaction() as session:
            row = get_job_row(session, job_id, program_id, lock=True)
            if row.status != JobStatus.FAILED.value:
                raise PilotError(
                    ErrorCode.CONFLICT, f"job {job_id} is {row.status}; only failed jobs are retried"
                )
            row.status = JobStatus.QUEUED.value
            row.error = None
            row.progress = 0
        self._start(job_id)
        return self.get(job_id)

    def get(self, job_id: str, program_id: str | None = None) -> Job:
        with self.pilot.db.transaction() as session:
            return to_job(get_job_row(session, job_id, program_id))

    def wait(self, job_id: str, timeout: float | None = None) -> Job:
        with self._lock:
            future = self._futures.get(job_id)
        if future is not None:
            future.result(timeout=timeout)
        return self.get(job_id)

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=False)

    def _start(self, job_id: str) -> None:
        if self._pool is None:
            self._run(job_id)
            return
        future = self._pool.submit(self._run, job_id)
        with self._lock:
            self._futures[job_id] = future

    def _run(self, job_id: str) -> None:
        pilot = self.pilot
        with pilot.db.transaction() as session:
            row = get_job_row(session, job_id, lock=True)
            row.status = JobStatus.RUNNING.value
            row.started_at = pilot.now()
            row.attempts += 1
            # Handlers learn their own job id and program (to link what they create), not stored twice.
            kind, params = row.kind, {**dict(row.params), "job_id": job_id, "program_id": row.program_id}

        def report(done: int, total: int) -> None:
            with pilot.db.transaction() as s:
                r = get_job_row(s, job_id)
                r.progress, r.total = done, total

        try:
            result = _HANDLERS[kind](pilot, params, report)
        except PilotError as exc:
            self._finish(job_id, error=exc.to_dict())
        except Exception as exc:  # noqa: BLE001 - a job failure is recorded as data, never lost
            self._finish(
                job_id, error={"code": ErrorCode.INTERNAL.value, "message": f"{type(exc).__name__}: {exc}"}
            )
        else:
            self._finish(job_id, result=result)

    def _finish(
        self, job_id: str, *, result: dict[str, Any] | None = None, error: dict[str, Any] | None = None
    ) -> None:
        with self.pilot.db.transaction() as session:
            row = get_job_row(session, job_id)
            row.status = (JobStatus.FAILED if error else JobStatus.SUCCEEDED).value
            row.result, row.error = result, error
            row.finished_at = self.pilot.now()
            if not error:
                row.progress = max(row.progress, row.total)
