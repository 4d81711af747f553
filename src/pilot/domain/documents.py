"""Documents pulled by connectors, their speaker turns, and the chunks that go into the index."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pilot.domain.urls import LinkUrl, unsafe_url_warning, web_url


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
    url: LinkUrl = None  # http(s) only: anything else is dropped, with a warning (see below)
    author: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    meeting_date: date | None = None
    turns: list[Turn] = Field(default_factory=list)
    metadata: dict[str, str | int | float | bool | None | list[str]] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _drop_unsafe_url(cls, data: Any) -> Any:
        """A source's link that is not http(s) (`javascript:...`) is not kept: the document is, and
        says why it has no link. Every connector builds its documents here, so none can skip it."""
        if isinstance(data, dict) and data.get("url") is not None and web_url(data["url"]) is None:
            warning = unsafe_url_warning("the source's link", data["url"])
            warnings = [w for w in data.get("warnings") or [] if w != warning]
            data = {**data, "url": None, "warnings": [*warnings, warning]}
        return data

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
