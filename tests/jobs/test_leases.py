"""Jobs survive their worker: interrupted jobs are found and requeued (or failed, retryable), a run
that lost its lease writes nothing, extraction drafts are written once per job, and stopping a
worker does not wait for the queue."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest

from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.jobs import JobStatus
from pilot.pipeline.heap import (
    LARGE_INPUT_BYTES,
    collection_paused_for,
    full_passes_paused,
    resume_collection,
)
from pilot.pipeline.jobs import JobPolicy, JobRunner, LocalWorkers, Progress, register_job
from pilot.pipeline.programs import import_program_bytes
from pilot.store.jobs import HOST, LeaseLost, claim_job, create_job, get_job_row, require_lease, wall_clock
from tests.store.program_factory import SMALL_PROGRAM

PROGRAM = "checkout-v2"
DEAD_WORKER = f"{HOST}:999999999:local-dead"  # a pid no process has
GATE = threading.Event()


@register_job("test.ok")
def _ok(pilot: Any, params: dict[str, Any], report: Progress) -> dict[str, Any]:
    report(1, 1)
    return {"ran_as": pilot.actor}


@register_job("test.gated")
def _gated(pilot: Any, params: dict[str, Any], report: Progress) -> dict[str, Any]:
    while not GATE.wait(0.05):
        report(0, 1)  # keeps checking the lease, as real handlers do through progress
    return {"ok": True}


@register_job("test.large")
def _large(pilot: Any, params: dict[str, Any], report: Progress) -> dict[str, Any]:
    with collection_paused_for(LARGE_INPUT_BYTES):  # a large document, worked through without reports
        GATE.wait(30)
    return {"ok": True}


@pytest.fixture
def loaded(pilot_ctx: Any) -> Any:
    import_program_bytes(pilot_ctx, SMALL_PROGRAM.encode(), source="small.yaml")
    return pilot_ctx


def interrupted_job(pilot: Any, *, attempts: int = 1) -> str:
    """A job as a `kill -9` leaves it: running, held by a worker process that no longer exists."""
    with pilot.db.transaction() as session:
        row = create_job(
            session, kind="test.ok", program_id=PROGRAM, params={}, now=pilot.now(), requested_by="ana"
        )
        row.status, row.attempts, row.worker = "running", attempts, DEAD_WORKER
        row.started_at = row.heartbeat_at = wall_clock()
        return row.id


def test_a_job_whose_worker_died_is_requeued_at_start_up_and_runs(loaded: Any) -> None:
    job_id = interrupted_job(loaded)
    runner = JobRunner(loaded, workers=1)
    try:
        done = runner.wait(job_id, timeout=30)
    finally:
        runner.shutdown()
    assert done.status == JobStatus.SUCCEEDED, done
    assert done.attempts == 2 and done.result == {"ran_as": "ana"}  # as the person who asked


def test_past_the_attempt_limit_it_is_failed_retryable_and_retry_runs_it(loaded: Any) -> None:
    job_id = interrupted_job(loaded, attempts=3)
    runner = JobRunner(loaded, workers=1)
    try:
        failed = runner.wait(job_id, timeout=30)
        assert failed.status == JobStatus.FAILED and failed.error is not None
        assert failed.error["code"] == ErrorCode.INTERRUPTED.value and failed.error["retryable"] is True
        runner.retry(job_id, PROGRAM)
        done = runner.wait(job_id, timeout=30)
    finally:
        runner.shutdown()
    assert done.status == JobStatus.SUCCEEDED


def test_retry_accepts_a_running_job_whose_worker_is_gone(loaded: Any) -> None:
    job_id = interrupted_job(loaded)
    done = JobRunner(loaded, inline=True).retry(job_id, PROGRAM)
    assert done.status == JobStatus.SUCCEEDED


def test_a_run_that_lost_its_lease_writes_nothing(loaded: Any) -> None:
    policy = JobPolicy(heartbeat_s=0.05, stall_s=1.0, max_attempts=3)
    with loaded.db.transaction() as session:
        job_id = create_job(session, kind="test.ok", program_id=PROGRAM, params={}, now=loaded.now()).id
    with loaded.db.transaction() as session:
        first = claim_job(
            session, job_id, worker=f"{HOST}:1:a", now=wall_clock(), stall=policy.stall, max_attempts=3
        )
    later = wall_clock() + timedelta(seconds=5)  # its heartbeat is now older than the stall timeout
    with loaded.db.transaction() as session:
        busy = claim_job(
            session, job_id, worker="elsewhere:1:b", now=wall_clock(), stall=policy.stall, max_attempts=3
        )
        second = claim_job(
            session, job_id, worker="elsewhere:1:b", now=later, stall=policy.stall, max_attempts=3
        )
    assert busy.outcome == "busy" and (first.attempt, second.attempt) == (1, 2)
    with pytest.raises(LeaseLost), loaded.db.transaction() as session:
        require_lease(session, job_id, first.attempt)
    with loaded.db.transaction() as session:
        assert require_lease(session, job_id, second.attempt).worker == "elsewhere:1:b"


def test_shutdown_hands_running_jobs_back_and_does_not_wait_for_the_queue(loaded: Any) -> None:
    GATE.clear()
    workers = LocalWorkers(loaded, threads=1, policy=JobPolicy(heartbeat_s=0.05), poll_s=0.05)
    runner = JobRunner(loaded, queue=workers)
    running = runner.submit("test.gated", PROGRAM, {})
    queued = [runner.submit("test.gated", PROGRAM, {}) for _ in range(5)]
    for _ in range(200):
        if runner.get(running.id).status == JobStatus.RUNNING:
            break
        time.sleep(0.02)
    started = time.monotonic()
    runner.shutdown(grace_s=0.3)
    assert time.monotonic() - started < 3
    assert runner.get(running.id).status == JobStatus.QUEUED  # back in the queue for the next start
    assert all(runner.get(j.id).status == JobStatus.QUEUED for j in queued)
    GATE.set()
    with loaded.db.transaction() as session:
        assert get_job_row(session, running.id).worker is None


def test_shutdown_resumes_garbage_collection_a_running_large_job_held_off(loaded: Any) -> None:
    GATE.clear()
    workers = LocalWorkers(loaded, threads=1, policy=JobPolicy(heartbeat_s=0.05), poll_s=0.05)
    runner = JobRunner(loaded, queue=workers)
    assert not full_passes_paused()
    runner.submit("test.large", PROGRAM, {})
    try:
        for _ in range(500):  # the job is claimed, then its handler enters the large step
            if full_passes_paused():
                break
            time.sleep(0.02)
        assert full_passes_paused()  # the large step holds full collections off
        runner.shutdown(grace_s=0.2)
        assert not full_passes_paused()  # the thread still runs; the process no longer waits on it
    finally:
        GATE.set()
        resume_collection()


def test_a_job_for_a_program_that_does_not_exist_is_a_404(loaded: Any) -> None:
    with pytest.raises(PilotError) as info:
        JobRunner(loaded, inline=True).submit("test.ok", "no-such-program", {})
    assert info.value.code == ErrorCode.NOT_FOUND


def test_every_module_that_registers_a_job_kind_is_loaded_by_workers() -> None:
    from pathlib import Path

    import pilot
    from pilot.pipeline.jobs import JOB_MODULES

    root = Path(pilot.__file__).parent
    registering = {
        "pilot." + str(path.relative_to(root).with_suffix("")).replace("/", ".")
        for path in root.rglob("*.py")
        if "@register_job(" in path.read_text()
    }
    assert registering <= set(JOB_MODULES)
