"""The program-detector framework: what a detector sees, what it returns, and the registry.

A detector is a pure function of (program data, `now`, thresholds). It returns findings, each
naming the records it is about, and KPI values. Detectors register themselves by id so the scan,
the docs and the tests enumerate the same catalogue.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from pilot.domain.findings import Finding, KpiStatus, KpiValue, Severity
from pilot.domain.program import ProgramData
from pilot.domain.schedule import WorkItem
from pilot.rules.calendar import local_date, zone
from pilot.rules.thresholds import Thresholds, thresholds_for

if TYPE_CHECKING:
    from pilot.rules.forecast import PlanForecast
    from pilot.rules.schedule_graph import Plan


@dataclass(frozen=True)
class ScanContext:
    data: ProgramData
    now: datetime
    tz: ZoneInfo
    today: date  # program-local date of `now`
    limits: Thresholds
    unknown_overrides: tuple[str, ...] = ()
    work: tuple[WorkItem, ...] = ()  # tickets, for delivery forecasts
    seed: int = 0  # of the forecasts' random generator

    @classmethod
    def build(
        cls, data: ProgramData, now: datetime, *, work: Sequence[WorkItem] = (), seed: int = 0
    ) -> ScanContext:
        if now.tzinfo is None:
            raise ValueError("scan needs a timezone-aware `now`")
        tz = zone(data.program.timezone)
        limits, unknown = thresholds_for(data.program)
        return cls(data, now, tz, local_date(now, tz), limits, tuple(unknown), tuple(work), seed)

    def days_ago(self, days: float) -> date:
        return self.today - timedelta(days=days)

    @cached_property
    def plan(self) -> Plan:
        """The plan graph and its critical path as of today (computed once per scan)."""
        from pilot.rules.schedule_graph import build_plan

        return build_plan(self.data, self.today)

    @cached_property
    def forecast(self) -> PlanForecast:
        """Delivery forecasts of the open milestones from their linked tickets."""
        from pilot.rules.forecast import forecast_program

        weeks = int(self.limits.throughput_history_weeks)
        return forecast_program(
            self.plan, list(self.work), seed=self.seed, weeks=weeks, every_milestone=False
        )


@dataclass
class DetectorOutput:
    findings: list[Finding] = field(default_factory=list)
    kpis: list[KpiValue] = field(default_factory=list)


Detector = Callable[[ScanContext], DetectorOutput]


@dataclass(frozen=True)
class DetectorSpec:
    id: str
    title: str
    rule_ids: tuple[str, ...]
    kpi_ids: tuple[str, ...]
    run: Detector


DETECTORS: dict[str, DetectorSpec] = {}


def detector(
    detector_id: str, title: str, *, rules: tuple[str, ...], kpis: tuple[str, ...] = ()
) -> Callable[[Detector], Detector]:
    """Register a detector family with the rule ids and KPI ids it can produce."""

    def register(fn: Detector) -> Detector:
        if detector_id in DETECTORS:
            raise ValueError(f"detector {detector_id!r} registered twice")
        DETECTORS[detector_id] = DetectorSpec(detector_id, title, rules, kpis, fn)
        return fn

    return register


def ratio_kpi(
    kpi_id: str,
    name: str,
    hits: int,
    total: int,
    target: float,
    *,
    detail: str = "",
    warn_margin: float = 0.05,
) -> KpiValue:
    """A share KPI where higher is better: ok at or above target, warning just under, else breach."""
    if total == 0:
        return KpiValue(
            kpi_id=kpi_id,
            name=name,
            value=None,
            unit="ratio",
            target=f">= {target:.2f}",
            status=KpiStatus.NO_DATA,
            numerator=0,
            denominator=0,
            detail=detail or "nothing due yet",
        )
    value = round(hits / total, 4)
    if value >= target:
        status = KpiStatus.OK
    elif value >= target - warn_margin:
        status = KpiStatus.WARNING
    else:
        status = KpiStatus.BREACH
    return KpiValue(
        kpi_id=kpi_id,
        name=name,
        value=value,
        unit="ratio",
        target=f">= {target:.2f}",
        status=status,
        numerator=hits,
        denominator=total,
        detail=detail,
    )


@dataclass
class ClosureTally:
    """A family's due items counted as closed on time or late, for its on-time share KPI and the
    finding it raises below target (corrective actions, dependencies)."""

    due: int = 0
    on_time: int = 0
    late: list[str] = field(default_factory=list)

    def count(self, subject: str, *, on_time: bool) -> None:
        self.due += 1
        if on_time:
            self.on_time += 1
        else:
            self.late.append(subject)

    def report(
        self,
        out: DetectorOutput,
        kpi_id: str,
        name: str,
        rule_id: str,
        *,
        target: float,
        detail: str,
        sentence: str,
    ) -> None:
        """The KPI and its finding. `detail` and `sentence` follow "3 of 7 due ", e.g.
        "dependencies delivered on time"."""
        counted = f"{self.on_time} of {self.due} due"
        kpi = ratio_kpi(kpi_id, name, self.on_time, self.due, target, detail=f"{counted} {detail}")
        out.kpis.append(kpi)
        values: dict[str, float | int] = {"on_time": self.on_time, "due": self.due, "target": target}
        finding = rate_finding(kpi, rule_id, f"{counted} {sentence}", tuple(self.late), values)
        if finding is not None:
            out.findings.append(finding)


def rate_finding(
    kpi: KpiValue, rule_id: str, sentence: str, subjects: tuple[str, ...], values: dict[str, float | int]
) -> Finding | None:
    """The finding a share KPI below its target raises: `sentence` says "3 of 7 ... on time"."""
    if kpi.value is None or kpi.status == KpiStatus.OK:
        return None
    target = kpi.target.removeprefix(">= ")
    return Finding(
        rule_id=rule_id,
        severity=Severity.WARNING,
        message=f"{sentence} ({pct(kpi.value)}, target {pct(float(target))}).",
        subjects=subjects,
        values=dict(values),
    )


def ceiling_kpi(
    kpi_id: str, name: str, value: float | None, limit: float, unit: str, *, detail: str = ""
) -> KpiValue:
    """A KPI where lower is better: ok at or under the limit, breach above it."""
    if value is None:
        status = KpiStatus.NO_DATA
    else:
        status = KpiStatus.OK if value <= limit else KpiStatus.BREACH
    shown = None if value is None else round(value, 2)
    return KpiValue(
        kpi_id=kpi_id, name=name, value=shown, unit=unit, target=f"<= {limit:g}", status=status, detail=detail
    )


def iso(day: date | datetime | None) -> str | None:
    return None if day is None else day.isoformat()


def pct(value: float) -> str:
    return f"{value * 100:.0f}%"
