"""Schedule intelligence: the computed plan (critical path, slack), slip propagation, ticket-based
delivery forecasts, and the tickets they are computed from.

Durations and slack are counted in business days (weekdays, and whatever `rules.calendar`
treats as a working day); dates are program-local calendar days.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pilot.domain.urls import LinkUrl


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


NodeKind = Literal["milestone", "dependency"]
DurationSource = Literal["duration_days", "dates", "done"]


class WorkState(StrEnum):
    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"  # closed without the work being done (won't do, duplicate, not planned)


class WorkItem(_Model):
    """A ticket as forecasts see it: when it was opened and closed, and what it belongs to."""

    key: str  # "PAY-1421", "acmepay/payments-mobile-sdk#412"
    source: str  # "jira", "github"
    title: str = ""
    url: LinkUrl = None
    state: WorkState
    created: date
    closed: date | None = None  # program-local day it was resolved or closed
    parent: str | None = None  # a Jira epic or parent issue key
    labels: list[str] = Field(default_factory=list)
    milestone: str | None = None  # a GitHub milestone title
    container: bool = False  # an epic: linked (its children come with it), never counted


class NodeSchedule(_Model):
    """One milestone or dependency in the computed plan, as of the schedule's as-of date."""

    id: str
    kind: NodeKind
    name: str
    done: bool
    depends_on: list[str]  # ids of the records it waits for
    target: date
    forecast: date  # as entered (or, for done work, the day it finished)
    remaining_days: int  # business days of work left once its predecessors are done
    duration_source: DurationSource
    start: date | None = None  # earliest start (computed), None when done
    finish: date | None = None  # earliest finish (computed)
    latest_finish: date | None = None  # without moving the plan's end
    total_float: int | None = None  # business days it can slip without moving the plan's end
    free_float: int | None = None  # business days it can slip without moving any successor
    target_buffer: int | None = None  # business days from the computed finish to the target (< 0: late)
    critical: bool = False  # on a longest path of remaining work (zero total float)


class ScheduleResult(_Model):
    as_of: date
    nodes: list[NodeSchedule]
    critical_path: list[str]  # ids, first to last, of one longest path to the plan's end
    finish: date  # the plan's computed end (the as-of date when nothing is left)
    finish_id: str | None = None  # the record that ends the critical path

    def node(self, record_id: str) -> NodeSchedule | None:
        return next((n for n in self.nodes if n.id == record_id), None)


class SlipStep(_Model):
    """How far one record moves when another slips."""

    id: str
    kind: NodeKind
    name: str
    slip_days: int  # business days its computed finish moves
    absorbed_days: int  # slack that took up part of the incoming slip (0 for the origin)
    via: str | None  # the predecessor that pushed it (None for the origin)
    old_finish: date
    new_finish: date
    target: date
    newly_late: bool  # the new finish is past its target and the old one was not


class GateRisk(_Model):
    release: str  # the milestone id of the release
    gate: date  # its go/no-go (the first readiness gate)
    ready_on: date  # when everything the release waits for is now done


class SlipPropagation(_Model):
    origin: str
    slip_days: int
    steps: list[SlipStep]  # every record that moves (origin first), in plan order
    chain: list[SlipStep]  # the path from the origin to the furthest record that moves
    absorbed_by: list[str] = Field(default_factory=list)  # "M-7 (2 days of slack)": where it stopped
    gates_at_risk: list[GateRisk] = Field(default_factory=list)
    finish_before: date
    finish_after: date
    critical_before: list[str]
    critical_after: list[str]
    summary: str  # "DEP-4 slips 5 business days -> M-7 slips 3 (2 days of slack absorbed) -> ..."


class ForecastDriver(_Model):
    kind: Literal["throughput", "scope", "growth", "predecessor", "history"]
    text: str
    share: float | None = None  # for a predecessor: the share of trials it decided the date


class MilestoneForecast(_Model):
    """A Monte Carlo delivery forecast of one milestone, or why there is none."""

    milestone_id: str
    name: str
    basis: Literal["tickets", "entered"]
    reason: str = ""  # why the entered forecast is used, when it is
    target: date
    entered_forecast: date
    p50: date | None = None
    p85: date | None = None
    probability_on_target: float | None = None  # share of trials done on or before the target
    open_items: int = 0
    closed_items: int = 0  # closed in the history window
    history_weeks: int = 0
    throughput_per_week: float | None = None
    growth_per_week: float | None = None
    trials: int = 0
    beyond_horizon: float = 0.0  # share of trials not done within the simulated horizon
    drivers: list[ForecastDriver] = Field(default_factory=list)
    linked: list[str] = Field(default_factory=list)  # keys of the counted tickets
