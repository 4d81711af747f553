"""Background jobs: progress, results and failures are recorded; failed jobs can be retried."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.jobs import JobStatus
from pilot.pipeline.jobs import JobRunner, Progress, register_job
from pilot.pipeline.programs import import_program_bytes
from tests.store.program_factory import SMALL_PROGRAM

ATTEMPTS: dict[str, int] = {}


@register_job("test.count")
def _count(pilot: Any, params: dict[str, Any], report: Progress) -> dict[str, Any]:
    for i in range(params["n"]):
        report(i + 1, params["n"])
    return {"counted": params["n"]}


@register_job("test.flaky")
def _flaky(pilot: Any, params: dict[str, Any], report: Progress) -> dict[str, Any]:
    ATTEMPTS[params["key"]] = ATTEMPTS.get(params["key"], 0) + 1
    if ATTEMPTS[params["key"]] == 1:
        raise PilotError(ErrorCode.UPSTREAM_UNAVAILABLE, "LLM timed out")
    return {"ok": True}


@register_job("test.crash")
def _crash(pilot: Any, params: dict[str, Any], report: Progress) -> dict[str, Any]:
    raise ValueError("bug")


@pytest.fixture
def loaded(pilot_ctx: Any) -> Any:
    import_program_bytes(pilot_ctx, SMALL_PROGRAM.encode(), source="small.yaml")
    return pilot_ctx


@pytest.mark.parametrize("inline", [True, False])
def test_job_runs_and_reports_progress(loaded: Any, inline: bool) -> None:
    runner = JobRunner(loaded, inline=inline)
    job = runner.submit("test.count", "checkout-v2", {"n": 3})
    done = runner.wait(job.id, timeout=60)
    runner.shutdown()
    assert done.status == JobStatus.SUCCEEDED, done  # the row says which worker held it, and when
    assert (done.progress, done.total) == (3, 3)
    assert done.result == {"counted": 3}
    assert done.attempts == 1 and done.finished_at is not None


def test_failed_job_is_recorded_and_retried_with_its_stored_params(loaded: Any) -> None:
    runner = JobRunner(loaded, inline=True)
    job = runner.submit("test.flaky", "checkout-v2", {"key": str(uuid.uuid4())})
    assert job.status == JobStatus.FAILED
    assert job.error is not None and job.error["code"] == "upstream_unavailable"
    retried = runner.retry(job.id, "checkout-v2")
    assert retried.status == JobStatus.SUCCEEDED and retried.attempts == 2 and retried.error is None
    with pytest.raises(PilotError) as info:
        runner.retry(job.id, "checkout-v2")
    assert info.value.code == ErrorCode.CONFLICT


def test_unexpected_exceptions_become_failed_jobs(loaded: Any) -> None:
    job = JobRunner(loaded, inline=True).submit("test.crash", "checkout-v2", {})
    assert job.status == JobStatus.FAILED
    assert job.error == {"code": "internal", "message": "ValueError: bug"}


def test_jobs_are_scoped_to_their_program(loaded: Any) -> None:
    runner = JobRunner(loaded, inline=True)
    job = runner.submit("test.count", "checkout-v2", {"n": 1})
    with pytest.raises(PilotError) as info:
        runner.get(job.id, "another-program")
    assert info.value.code == ErrorCode.NOT_FOUND
