"""The server-mode queue: procrastinate on the PostgreSQL database pilot already uses.

Why procrastinate (and not Celery or Dramatiq on Redis): the queue lives in the same database as
the job rows and documents, so a job is enqueued in the same transaction that stores the document
it works on and creates its job row (no outbox, no job without its row, no row without its job);
there is no second service to run, back up and secure; and procrastinate's workers heartbeat, so a
job whose worker died is found and retried by another worker.

Only this module imports procrastinate. The API process builds the app without opening a pool
(deferring runs on the caller's SQLAlchemy connection); `pilot worker` opens it and runs jobs.
"""

from __future__ import annotations

import asyncio
import logging
import os

import procrastinate
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from pilot.domain.errors import ErrorCode, PilotError
from pilot.pipeline.context import Pilot
from pilot.pipeline.jobs import JobPolicy, execute_job
from pilot.store.jobs import ClaimOutcome, release_job, worker_name
from pilot.store.tables import JobRow

log = logging.getLogger("pilot.worker")

TASK = "pilot.run_job"
QUEUE = "pilot"


class JobBusy(Exception):
    """The job row is held by a live worker: procrastinate retries this delivery later."""


def conninfo(database_url: str) -> str:
    """A libpq URI from the SQLAlchemy URL (driver name dropped, query options such as a
    search_path kept)."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise PilotError(
            ErrorCode.CONFIGURATION,
            "PILOT_QUEUE=procrastinate needs PostgreSQL (PILOT_DATABASE_URL=postgresql+psycopg://...)",
        )
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def build_app(pilot: Pilot) -> procrastinate.App:
    connector = procrastinate.PsycopgConnector(conninfo=conninfo(pilot.settings.resolved_database_url))
    return procrastinate.App(connector=connector)


class ProcrastinateQueue:
    """The API side: defer `pilot.run_job(job_id)` in the transaction that created the job row."""

    def __init__(self, app: procrastinate.App) -> None:
        self.app = app

    def enqueue(self, session: Session, row: JobRow) -> None:
        connection = session.connection().connection.driver_connection
        self.app.configure_task(TASK, queue=QUEUE, connection=connection).defer(job_id=row.id)

    def after_commit(self) -> None:
        return None  # the queue notifies its workers itself (LISTEN/NOTIFY) on commit

    def shutdown(self, grace_s: float) -> None:
        return None  # nothing runs here


def run_worker(pilot: Pilot, *, concurrency: int = 1, grace_s: float = 10.0, wait: bool = True) -> None:
    """Run jobs until SIGINT/SIGTERM (or, with `wait=False`, until the queue is empty). A job still
    running `grace_s` after the signal is handed back to the queue (another worker, or this one
    restarted, runs it)."""
    from pilot.pipeline.jobs import _load_handlers

    _load_handlers()
    policy = JobPolicy.from_settings(pilot.settings)
    app = build_app(pilot)
    name = worker_name("pg")
    running: dict[str, int] = {}

    @app.task(
        name=TASK,
        queue=QUEUE,
        retry=procrastinate.RetryStrategy(
            max_attempts=1000, wait=int(policy.heartbeat_s) or 1, retry_exceptions={JobBusy}
        ),
    )
    def run_job(job_id: str) -> None:
        outcome = execute_job(pilot, job_id, worker=name, policy=policy, on_claim=running.__setitem__)
        running.pop(job_id, None)
        if outcome == ClaimOutcome.BUSY:
            raise JobBusy(job_id)

    asyncio.run(_work(app, pilot, policy, name=name, concurrency=concurrency, grace_s=grace_s, wait=wait))
    if _hand_back(pilot, ProcrastinateQueue(app), running):
        # The unfinished run's thread cannot be stopped and the interpreter would join it at exit;
        # its job is back in the queue and its lease is gone (it can write nothing), so leave now.
        logging.shutdown()
        os._exit(0)


async def _work(
    app: procrastinate.App,
    pilot: Pilot,
    policy: JobPolicy,
    *,
    name: str,
    concurrency: int,
    grace_s: float,
    wait: bool,
) -> None:
    async with app.open_async():
        sweeper = asyncio.create_task(_retry_stalled(app, policy))
        log.info("worker %s: queue %r on %s", name, QUEUE, make_url(pilot.settings.resolved_database_url))
        try:
            await app.run_worker_async(
                queues=[QUEUE],
                name=name,
                concurrency=concurrency,
                update_heartbeat_interval=policy.heartbeat_s,
                stalled_worker_timeout=policy.stall_s,
                shutdown_graceful_timeout=grace_s,
                wait=wait,
                install_signal_handlers=wait,
            )
        finally:
            sweeper.cancel()


async def _retry_stalled(app: procrastinate.App, policy: JobPolicy) -> None:
    """Jobs of workers that stopped heartbeating go back to the queue (any worker may do this)."""
    while True:
        await asyncio.sleep(policy.heartbeat_s)
        try:
            await retry_stalled_once(app, policy)
        except Exception:  # noqa: BLE001 - the sweep runs again at the next beat
            log.exception("stalled-job sweep failed")


async def retry_stalled_once(app: procrastinate.App, policy: JobPolicy) -> int:
    stalled = await app.job_manager.get_stalled_jobs(queue=QUEUE, seconds_since_heartbeat=policy.stall_s)
    retried = 0
    for job in stalled:
        try:
            await app.job_manager.retry_job(job)
        except Exception:  # noqa: BLE001 - another worker requeued it first
            continue
        retried += 1
        log.warning("queue job %s %s of a stalled worker requeued", job.id, job.task_kwargs)
    return retried


def _hand_back(pilot: Pilot, queue: ProcrastinateQueue, running: dict[str, int]) -> bool:
    handed = False
    for job_id, attempt in list(running.items()):
        with pilot.db.transaction() as session:
            if release_job(session, job_id, attempt):
                row = session.get(JobRow, job_id)
                assert row is not None
                queue.enqueue(session, row)
                log.warning("job %s handed back to the queue at shutdown", job_id)
                handed = True
    return handed
