"""The audit log as it crosses layers: one event, and the report of a chain verification."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int
    at: datetime
    actor: str
    action: str
    program_id: str | None
    subject: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    prev_hash: str
    hash: str


class ChainReport(BaseModel):
    ok: bool
    events: int
    first_bad_id: int | None = None
    reason: str | None = None
