"""Exec status updates: the fact sheet computed from program data, and the draft written from it.

The fact sheet is the only source of facts for a status draft: the prose may restate what is in
it and nothing else, which the grounding checks verify word by word.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pilot.domain.findings import KpiValue


class Colour(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"


Audience = Literal["exec", "engineering", "product"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MilestoneFact(_Model):
    id: str
    name: str
    target: date
    forecast: date
    status: str
    slip_days: int
    critical_path: bool
    moved_in_period: int  # forecast changes in the period
    previous_forecast: date | None = None


class RiskFact(_Model):
    id: str
    kind: str
    title: str
    owner: str | None
    exposure: int
    mitigation: str | None
    age_days: int


class DependencyFact(_Model):
    id: str
    deliverable: str
    provider: str
    consumer: str
    due: date
    status: str


class DecisionFact(_Model):
    id: str
    question: str
    options: list[str]
    recommendation: str | None
    decider: str | None
    needed_by: date | None
    cost_of_delay: str | None
    waited_business_days: int
    past_threshold: bool


class IncidentFact(_Model):
    id: str
    title: str
    severity: int
    started: date
    release: str | None


class ForecastFact(_Model):
    """A milestone's delivery forecast: from its tickets (P50/P85), or the entered date and why."""

    milestone_id: str
    name: str
    basis: Literal["tickets", "entered"]
    target: date
    p50: date | None = None
    p85: date | None = None
    chance_pct: int | None = None  # of meeting the target, in percent
    critical: bool = False  # on the computed critical path
    reason: str = ""
    drivers: list[str] = Field(default_factory=list)


class SlipFact(_Model):
    """A re-forecast in the period and what it moved downstream (rules.slips)."""

    origin: str
    changed_from: date
    changed_to: date
    slip_days: int  # business days
    summary: str  # "M-09 slips 8 business days -> DEP-16 slips 8 -> M-11 slips 6 (2 days of slack absorbed) -> ..."
    moved: dict[str, int] = Field(default_factory=dict)  # record -> business days it moves
    absorbed: dict[str, int] = Field(default_factory=dict)  # record -> slack that took part of it
    targets: dict[str, date] = Field(default_factory=dict)  # moved record -> its target
    gates: dict[str, date] = Field(default_factory=dict)  # release -> go/no-go now at risk


class FactSheet(_Model):
    program_id: str
    program_name: str
    tier: int
    as_of: date
    period_start: date
    colour: Colour
    colour_reasons: list[str]
    kpis: list[KpiValue]
    milestones: list[MilestoneFact]
    top_risks: list[RiskFact]
    dependencies_at_risk: list[DependencyFact]
    pending_decisions: list[DecisionFact]
    incidents: list[IncidentFact]
    changes_since_last_update: list[str] = Field(default_factory=list)
    people: dict[str, str] = Field(default_factory=dict)  # id -> name of everyone the sheet names
    teams: dict[str, str] = Field(default_factory=dict)
    decision_latency_threshold: int = 5
    critical_path: list[str] = Field(default_factory=list)  # record ids, first to last (computed)
    plan_finish: date | None = None  # when the computed plan ends
    forecasts: list[ForecastFact] = Field(default_factory=list)
    slips: list[SlipFact] = Field(default_factory=list)


class DecisionAsk(_Model):
    decision_id: str
    question: str
    options: list[str]
    recommendation: str | None = None
    decider: str | None = None
    needed_by: date | None = None
    cost_of_delay: str | None = None


class StatusDraft(_Model):
    """The payload of a status-update draft in the review queue."""

    audience: Audience
    colour: Colour
    headline: str
    body: str  # Markdown
    asks: list[DecisionAsk] = Field(default_factory=list)
    fact_sheet: FactSheet
    engine: Literal["offline", "llm"] = "offline"


class StatusProse(_Model):
    """What the LLM writes (structured output): prose around the fact sheet, nothing else."""

    headline: str = Field(description="One sentence: overall status and the most important fact.")
    body_markdown: str = Field(description="The update in Markdown, using only facts from the fact sheet.")
