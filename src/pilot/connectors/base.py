"""The connector interface: pull documents since a cursor, failures as data, and a registry.

Modelled on checkpointed pulls: a connector yields batches (one page of a provider's API), each
with the cursor to resume from after it, so a sync that stops half-way resumes where it was.
A record the connector cannot read becomes a `ConnectorFailure` in the batch; the sync goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol

from pydantic import BaseModel, Field

from pilot.domain.documents import ConnectorFailure, Document
from pilot.domain.errors import ErrorCode, PilotError
from pilot.settings import Settings


class PullBatch(BaseModel):
    documents: list[Document] = Field(default_factory=list)
    failures: list[ConnectorFailure] = Field(default_factory=list)
    cursor: str | None = None  # resume point after this batch (None: unchanged)
    # external id -> the id an earlier version of pilot gave the same item (adopted, not duplicated)
    previous_ids: dict[str, str] = Field(default_factory=dict)


class Connector(Protocol):
    source: str

    def pull(self, program_id: str, cursor: str | None) -> Iterator[PullBatch]:
        """Documents changed since `cursor` (everything when None), page by page."""
        ...

    def census(self, program_id: str) -> set[str] | None:
        """External ids present at the source now, or None when the source cannot list them all."""
        ...


ConnectorFactory = Callable[[Settings], Connector]
SOURCES: dict[str, ConnectorFactory] = {}


def register_source(name: str) -> Callable[[ConnectorFactory], ConnectorFactory]:
    def register(factory: ConnectorFactory) -> ConnectorFactory:
        SOURCES[name] = factory
        return factory

    return register


def build_connector(source: str, settings: Settings) -> Connector:
    # Importing the provider modules registers them.
    from pilot.connectors import github, jira, pagerduty  # noqa: F401

    factory = SOURCES.get(source)
    if factory is None:
        raise PilotError(
            ErrorCode.INVALID_INPUT, f"unknown source {source!r}; known: {', '.join(sorted(SOURCES))}"
        )
    return factory(settings)


def failure(
    source: str, external_id: str | None, error: Exception | str, raw: object = None
) -> ConnectorFailure:
    excerpt = None if raw is None else str(raw)[:500]
    return ConnectorFailure(
        source=source, external_id=external_id, error=str(error)[:1000], raw_excerpt=excerpt
    )
