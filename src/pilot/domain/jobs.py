"""Long work recorded as a job: what was asked, how far it is, and how it ended."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Job(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    kind: str
    program_id: str
    status: JobStatus
    progress: int
    total: int
    params: dict[str, Any]
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    requested_by: str | None = None
    worker: str | None = None  # "host:pid:name" of the worker running it (or that ran it last)
    heartbeat_at: datetime | None = None
