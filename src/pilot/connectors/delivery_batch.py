"""What a delivery pull yields per page (GitHub runs and pulls, Jira tickets and changelog)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from pilot.connectors.jira import parse_time
from pilot.domain.documents import ConnectorFailure
from pilot.domain.signals import CiRun, PullRequest, Ticket, TicketChange

ITEM_ERRORS = (KeyError, TypeError, ValueError, AttributeError)


class DeliveryBatch(BaseModel):
    """One page of a delivery pull: what it held, what could not be read, and (on the page that
    ends a stream) the cursor to resume from."""

    runs: list[CiRun] = Field(default_factory=list)
    pulls: list[PullRequest] = Field(default_factory=list)
    tickets: list[Ticket] = Field(default_factory=list)
    changes: list[TicketChange] = Field(default_factory=list)
    failures: list[ConnectorFailure] = Field(default_factory=list)
    cursor: str | None = None


def required_time(value: Any) -> datetime:
    parsed = parse_time(value) if isinstance(value, str) else None
    if parsed is None:
        raise ValueError(f"not a timestamp: {value!r}")
    return parsed
