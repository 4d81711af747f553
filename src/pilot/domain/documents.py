"""Documents pulled by connectors, their speaker turns, and the chunks that go into the index."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DocumentKind(StrEnum):
    TRANSCRIPT = "transcript"
    NOTES = "notes"
    TICKET = "ticket"
    INCIDENT = "incident"


class Turn(Strict):
    """One speaker turn of a meeting. Times are seconds from the start when the format has them."""

    index: int
    speaker: str | None = None
    text: str
    start: float | None = None
    end: float | None = None


class Document(Strict):
    """One normalized item from any source, stored verbatim before any processing."""

    program_id: str
    source: str  # "file", "jira", "github", "pagerduty", ...
    external_id: str  # unique within the source (file path hash, issue key, incident id)
    kind: DocumentKind
    title: str = ""
    text: str
    url: str | None = None
    author: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    meeting_date: date | None = None
    turns: list[Turn] = Field(default_factory=list)
    metadata: dict[str, str | int | float | bool | None | list[str]] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)

    @property
    def content_hash(self) -> str:
        return content_hash(self.text)

    @property
    def key(self) -> str:
        return f"{self.source}:{self.external_id}"


class ConnectorFailure(Strict):
    """One item a connector could not read: recorded as data, the sync goes on."""

    source: str
    external_id: str | None = None
    error: str
    raw_excerpt: str | None = None


class Chunk(Strict):
    id: str
    program_id: str
    document_key: str
    text: str
    metadata: dict[str, str | int | float | bool] = Field(default_factory=dict)


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
