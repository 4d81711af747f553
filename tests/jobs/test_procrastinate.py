"""Server mode's queue on PostgreSQL: a job is enqueued in the transaction that creates its row
(rolled back together), a worker runs it, and the job of a worker that stopped heartbeating is
retried by another and completes once."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from pilot.domain.jobs import JobStatus
from pilot.pipeline.jobs import JobPolicy, JobRunner, Progress, register_job
from pilot.pipeline.programs import import_program_bytes
from pilot.store.tables import JobRow
from tests.store.program_factory import SMALL_PROGRAM

PROGRAM = "checkout-v2"
RUNS: list[str] = []


@register_job("test.pg")
def _count(pilot: Any, params: dict[str, Any], report: Progress) -> dict[str, Any]:
    RUNS.append(params["job_id"])
    return {"attempt": params["job_attempt"]}


@pytest.fixture
def pg(pilot_ctx: Any) -> Any:
    if pilot_ctx.db.is_sqlite:
        pytest.skip("the procrastinate queue needs PostgreSQL (set PILOT_TEST_DATABASE_URL)")
    pilot_ctx.settings.queue = "procrastinate"
    pilot_ctx.settings.job_heartbeat_s, pilot_ctx.settings.job_stall_s = 0.2, 1.0
    import_program_bytes(pilot_ctx, SMALL_PROGRAM.encode(), source="small.yaml")
    return pilot_ctx


def queue_jobs(pilot: Any) -> list[tuple[str, str]]:
    with pilot.db.transaction() as session:
        rows = session.execute(
            text("SELECT args->>'job_id', status::text FROM procrastinate_jobs ORDER BY id")
        )
        return [(str(a), str(b)) for a, b in rows]


def test_enqueue_rides_on_the_callers_transaction(pg: Any) -> None:
    from pilot.pipeline.jobs import open_runner

    runner = open_runner(pg)
    with pytest.raises(RuntimeError), pg.db.transaction() as session:
        runner.enqueue(session, "test.pg", PROGRAM, {})
        raise RuntimeError("the document could not be stored")
    assert queue_jobs(pg) == []
    job = runner.submit("test.pg", PROGRAM, {}, actor="ana")
    assert queue_jobs(pg) == [(job.id, "todo")] and job.status == JobStatus.QUEUED


def test_a_worker_runs_the_job_and_a_stalled_workers_job_is_retried_once(pg: Any) -> None:
    from pilot.pipeline.jobs import open_runner
    from pilot.pipeline.queue_pg import build_app, retry_stalled_once, run_worker

    runner: JobRunner = open_runner(pg)
    job = runner.submit("test.pg", PROGRAM, {})
    run_worker(pg, wait=False)
    assert runner.get(job.id).status == JobStatus.SUCCEEDED and RUNS.count(job.id) == 1

    # A second job taken by a worker that then died: queue job `doing` under a worker whose heartbeat
    # is old, job row `running` under a lease that is old too (a machine we cannot check).
    stuck = runner.submit("test.pg", PROGRAM, {})
    with pg.db.transaction() as session:
        dead = session.execute(
            text(
                "INSERT INTO procrastinate_workers (last_heartbeat) VALUES (NOW() - INTERVAL '1 hour') RETURNING id"
            )
        ).scalar()
        session.execute(
            text("UPDATE procrastinate_jobs SET status = 'doing', worker_id = :w WHERE status = 'todo'"),
            {"w": dead},
        )
        row = session.get(JobRow, stuck.id)
        assert row is not None
        row.status, row.attempts, row.worker = "running", 1, "another-host:42:pg-dead"
        row.heartbeat_at = row.started_at = row.created_at - timedelta(hours=1)
    app = build_app(pg)

    async def sweep() -> int:
        async with app.open_async():
            return await retry_stalled_once(app, JobPolicy(heartbeat_s=0.2, stall_s=1.0))

    assert asyncio.run(sweep()) == 1
    run_worker(pg, wait=False)
    done = runner.get(stuck.id)
    assert done.status == JobStatus.SUCCEEDED and done.result == {"attempt": 2}
    assert RUNS.count(stuck.id) == 1
