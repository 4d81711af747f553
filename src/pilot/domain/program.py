"""Program data of record: the contract between the YAML file, the SQL store and the rules.

Identifiers are short strings chosen by the program (``M-01``, ``R-007``, ``alice.chen``) and are
unique per program and record type. Timestamps are timezone-aware; a naive timestamp in input is
read in the program's time zone by the importer before it reaches these models.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import IntEnum, StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from pilot.domain.urls import WebUrl


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("timestamp must include a time zone offset")
    return value


AwareDatetime = Annotated[datetime, AfterValidator(_aware)]
RecordId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")]


class Record(BaseModel):
    """Base of every record: unknown fields are an error, so typos in a program file surface."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Tier(IntEnum):
    TIER_1 = 1
    TIER_2 = 2
    TIER_3 = 3


class ProgramInfo(Record):
    id: RecordId
    name: str = Field(min_length=1)
    tier: Tier = Tier.TIER_2
    description: str = ""
    timezone: str = "UTC"
    start_date: date | None = None
    # A frozen program (a demo, a post-mortem) is read as of this date everywhere; else as of now.
    as_of: date | None = None
    # Per-program overrides of the tier's detector thresholds (see rules.thresholds).
    thresholds: dict[str, float] = Field(default_factory=dict)
    # Non-working days besides weekends (public holidays, a company shutdown): business-day counts
    # (latencies, durations, slack, forecasts) skip them.
    holidays: list[date] = Field(default_factory=list)


class Team(Record):
    id: RecordId
    name: str = Field(min_length=1)
    lead: RecordId | None = None


class Person(Record):
    id: RecordId
    name: str = Field(min_length=1)
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    aliases: list[str] = Field(default_factory=list)
    team: RecordId | None = None
    role: str | None = None


class MilestoneStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    AT_RISK = "at_risk"
    DONE = "done"
    CANCELLED = "cancelled"


class ForecastChange(Record):
    """One re-forecast: on `changed_on` the forecast became `forecast`."""

    changed_on: date
    forecast: date
    reason: str | None = None


class Milestone(Record):
    id: RecordId
    name: str = Field(min_length=1)
    team: RecordId | None = None
    owner: RecordId | None = None
    target_date: date
    forecast_date: date | None = None
    forecast_history: list[ForecastChange] = Field(default_factory=list)
    status: MilestoneStatus = MilestoneStatus.PLANNED
    critical_path: bool = False
    completed_on: date | None = None
    acceptance_criteria: list[str] = Field(default_factory=list)
    # The plan graph (rules.schedule_graph): what must finish first, milestone or dependency ids.
    depends_on: list[RecordId] = Field(default_factory=list)
    # Business days of work left once every predecessor is done; unset: the gap the dates allow.
    duration_days: int | None = Field(default=None, ge=0, le=2000)
    # Tickets that are this milestone's remaining work: an issue key (with its children),
    # "label:<name>" or "milestone:<GitHub milestone title>".
    tickets: list[Annotated[str, Field(min_length=1, max_length=300)]] = Field(default_factory=list)

    @property
    def current_forecast(self) -> date:
        return self.forecast_date or self.target_date


class DependencyStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    AT_RISK = "at_risk"
    BLOCKED = "blocked"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class Dependency(Record):
    id: RecordId
    deliverable: str = Field(min_length=1)
    provider_team: RecordId
    consumer_team: RecordId
    owner: RecordId | None = None
    due_date: date
    forecast_date: date | None = None
    forecast_history: list[ForecastChange] = Field(default_factory=list)
    status: DependencyStatus = DependencyStatus.PLANNED
    delivered_on: date | None = None
    milestone: RecordId | None = None
    acceptance_criteria: list[str] = Field(default_factory=list)
    depends_on: list[RecordId] = Field(default_factory=list)
    duration_days: int | None = Field(default=None, ge=0, le=2000)

    @property
    def current_forecast(self) -> date:
        return self.forecast_date or self.due_date


class RaidKind(StrEnum):
    RISK = "R"
    ASSUMPTION = "A"
    ISSUE = "I"
    DEPENDENCY = "D"


class RaidStatus(StrEnum):
    OPEN = "open"
    MITIGATING = "mitigating"
    ACCEPTED = "accepted"
    CLOSED = "closed"


class RaidItem(Record):
    id: RecordId
    kind: RaidKind
    title: str = Field(min_length=1)
    description: str = ""
    owner: RecordId | None = None
    probability: int | None = Field(default=None, ge=1, le=5)
    impact: int | None = Field(default=None, ge=1, le=5)
    status: RaidStatus = RaidStatus.OPEN
    mitigation: str | None = None
    opened_at: AwareDatetime
    owner_assigned_at: AwareDatetime | None = None
    last_progress_at: AwareDatetime | None = None
    closed_at: AwareDatetime | None = None
    milestone: RecordId | None = None

    @property
    def is_open(self) -> bool:
        return self.status in (RaidStatus.OPEN, RaidStatus.MITIGATING)

    @property
    def exposure(self) -> int:
        return (self.probability or 0) * (self.impact or 0)


class DecisionStatus(StrEnum):
    PENDING = "pending"
    DECIDED = "decided"
    WITHDRAWN = "withdrawn"


class Decision(Record):
    id: RecordId
    question: str = Field(min_length=1)
    options: list[str] = Field(default_factory=list)
    recommendation: str | None = None
    outcome: str | None = None
    rationale: str | None = None
    status: DecisionStatus = DecisionStatus.PENDING
    requested_at: AwareDatetime
    needed_by: date | None = None
    decided_at: AwareDatetime | None = None
    decider: RecordId | None = None
    cost_of_delay: str | None = None
    milestone: RecordId | None = None

    @model_validator(mode="after")
    def _decided_has_date(self) -> Decision:
        if self.status == DecisionStatus.DECIDED and self.decided_at is None:
            raise ValueError("a decided decision needs decided_at")
        return self


class ActionStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class ActionItem(Record):
    id: RecordId
    task: str = Field(min_length=1)
    owner: RecordId | None = None
    due: date | None = None
    status: ActionStatus = ActionStatus.OPEN
    created_at: AwareDatetime
    completed_at: AwareDatetime | None = None
    milestone: RecordId | None = None
    source_document: str | None = None
    source_span: str | None = None


class ChangeRequest(Record):
    id: RecordId
    title: str = Field(min_length=1)
    description: str = ""
    requested_at: AwareDatetime
    impact_days: float | None = None
    approved: bool | None = None
    decided_at: AwareDatetime | None = None
    milestone: RecordId | None = None


class ReadinessItem(Record):
    id: RecordId
    release: RecordId  # the milestone that is the release
    item: str = Field(min_length=1)
    owner: RecordId | None = None
    gate_date: date
    done: bool = False
    done_on: date | None = None


class CorrectiveAction(Record):
    id: RecordId
    title: str = Field(min_length=1)
    incident: RecordId | None = None
    owner: RecordId | None = None
    due: date
    done_on: date | None = None


class Incident(Record):
    id: RecordId
    title: str = Field(min_length=1)
    severity: int = Field(ge=1, le=5)
    started_at: AwareDatetime
    resolved_at: AwareDatetime | None = None
    service: str | None = None
    release: RecordId | None = None  # milestone id of the release that caused it, if attributed
    postmortem_url: WebUrl | None = None  # http(s) only


class ProgramData(Record):
    """Everything pilot knows of record about one program: the shape of a program YAML file."""

    program: ProgramInfo
    teams: list[Team] = Field(default_factory=list)
    people: list[Person] = Field(default_factory=list)
    milestones: list[Milestone] = Field(default_factory=list)
    dependencies: list[Dependency] = Field(default_factory=list)
    raid: list[RaidItem] = Field(default_factory=list)
    decisions: list[Decision] = Field(default_factory=list)
    action_items: list[ActionItem] = Field(default_factory=list)
    change_requests: list[ChangeRequest] = Field(default_factory=list)
    readiness: list[ReadinessItem] = Field(default_factory=list)
    corrective_actions: list[CorrectiveAction] = Field(default_factory=list)
    incidents: list[Incident] = Field(default_factory=list)


# Collection name in ProgramData -> short record type used in references ("raid:R-001").
COLLECTIONS: dict[str, str] = {
    "teams": "team",
    "people": "person",
    "milestones": "milestone",
    "dependencies": "dependency",
    "raid": "raid",
    "decisions": "decision",
    "action_items": "action",
    "change_requests": "change",
    "readiness": "readiness",
    "corrective_actions": "corrective",
    "incidents": "incident",
}


def ref(record_type: str, record_id: str) -> str:
    """A stable reference to a record, as findings and audit events carry it."""
    return f"{record_type}:{record_id}"


class SaveSummary(BaseModel):
    """What an import changed, per record table."""

    program_id: str
    created: dict[str, int]
    updated: dict[str, int]
    unchanged: dict[str, int]
    deleted: dict[str, int]

    @property
    def changed(self) -> bool:
        return any(self.created.values()) or any(self.updated.values()) or any(self.deleted.values())
