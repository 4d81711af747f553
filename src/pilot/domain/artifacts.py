"""Artifact drafts written from the program's data of record: a program charter, a release
readiness checklist with go/no-go criteria, a cutover plan with a rollback section, a RAID export.

Like a status update, each starts from a sheet computed from the records (`ArtifactSheet`); the
text is rendered around it and then checked against it: every record id, date, number and name
in the text must be the sheet's.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ArtifactKind = Literal["charter", "readiness", "cutover", "raid"]
ARTIFACT_KINDS: tuple[ArtifactKind, ...] = ("charter", "readiness", "cutover", "raid")
ARTIFACT_TITLES: dict[str, str] = {
    "charter": "Program charter",
    "readiness": "Release readiness checklist",
    "cutover": "Cutover plan",
    "raid": "RAID log",
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ItemFact(_Model):
    """One record as an artifact may state it: its dates and numbers by role."""

    id: str
    kind: str  # milestone, dependency, raid, decision, action, readiness, change, incident, corrective
    title: str
    status: str = ""
    owner: str | None = None  # a person's name, as the sheet's people give it
    dates: dict[str, date] = Field(
        default_factory=dict
    )  # target, forecast, due, gate, needed_by, opened, done
    numbers: dict[str, float] = Field(default_factory=dict)  # exposure, probability, impact, impact_days...
    detail: str | None = None  # mitigation, outcome, recommendation or team line, quoted as is
    flags: list[str] = Field(default_factory=list)  # "critical path", "overdue", "rollback"...


class ArtifactSheet(_Model):
    kind: ArtifactKind
    program_id: str
    program_name: str
    tier: int
    as_of: date
    start_date: date | None = None
    description: str = ""
    release: ItemFact | None = None  # readiness and cutover: the milestone that is the release
    sections: dict[str, list[ItemFact]] = Field(default_factory=dict)
    summary: dict[str, float] = Field(default_factory=dict)  # counts and shares the text states
    criteria: list[str] = Field(default_factory=list)  # the release's acceptance criteria
    verdict: str | None = None  # readiness: "GO" or "NO-GO" as of the date, computed
    reasons: list[str] = Field(default_factory=list)
    people: dict[str, str] = Field(default_factory=dict)  # id -> name of everyone the sheet names
    teams: dict[str, str] = Field(default_factory=dict)


class ArtifactDraft(_Model):
    """The payload of an artifact draft in the review queue."""

    kind: ArtifactKind
    title: str
    body: str  # Markdown
    sheet: ArtifactSheet
    engine: Literal["offline", "llm"] = "offline"
