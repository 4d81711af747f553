"""Signals beside the program's records: how meetings end, and delivery facts from GitHub and Jira.

Meetings are the program's stored transcripts and notes; what each one produced is counted from
the review queue (approved action-item and decision drafts) and from records that cite it. The
delivery facts are what the GitHub Actions, pull request and Jira changelog pulls store. None of
them names a person: the rules built on them are about the program's flow, never a ranking.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from pilot.domain.urls import LinkUrl


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MeetingOutcome(_Model):
    """One meeting (a stored transcript or notes) and what came out of it."""

    document_id: int
    title: str
    series: str  # normalised title, or the document's `series` metadata when it has one
    held_on: date
    approved_actions: int = 0
    approved_decisions: int = 0
    recorded: tuple[str, ...] = ()  # refs of program records that cite this meeting as their source
    pending_drafts: int = 0  # action/decision drafts still waiting in the review queue

    @property
    def has_outcome(self) -> bool:
        return bool(self.approved_actions or self.approved_decisions or self.recorded)

    @property
    def in_review(self) -> bool:
        """Not counted yet: what it produced is still being reviewed."""
        return not self.has_outcome and self.pending_drafts > 0


class CiRun(_Model):
    """A GitHub Actions workflow run on a repository's default branch."""

    repo: str
    run_id: int
    workflow: str
    branch: str
    default_branch: str
    event: str | None = None
    status: str  # queued | in_progress | completed | ...
    conclusion: str | None = None  # success | failure | timed_out | cancelled | ...
    created_at: datetime
    updated_at: datetime
    url: LinkUrl = None


class PullRequest(_Model):
    """A pull request and when it first got a review from someone other than its author."""

    repo: str
    number: int
    title: str
    state: str  # open | closed
    draft: bool = False
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None
    merged_at: datetime | None = None
    first_review_at: datetime | None = None
    url: LinkUrl = None


class Ticket(_Model):
    key: str
    title: str
    status: str
    status_category: str | None = None  # Jira's statusCategory key: new | indeterminate | done
    updated_at: datetime | None = None
    url: LinkUrl = None


class TicketChange(_Model):
    """One changed field of one Jira changelog entry (status and Flagged are the ones used)."""

    key: str
    history_id: str
    item: int = 0
    at: datetime
    field: str
    from_string: str | None = None
    to_string: str | None = None


class ProgramSignals(_Model):
    meetings: list[MeetingOutcome] = Field(default_factory=list)
    ci_runs: list[CiRun] = Field(default_factory=list)
    pull_requests: list[PullRequest] = Field(default_factory=list)
    tickets: list[Ticket] = Field(default_factory=list)
    ticket_changes: list[TicketChange] = Field(default_factory=list)
