"""Detectors over signals beside the records: meeting outcomes and delivery facts. Pure.

They share the program's tier thresholds (and overrides) with the record detectors, but live in
their own registry: a program loaded from a file has no signals, so `rules.detectors.scan` stays
a function of the records alone, and `scan_signals` adds these when the pipeline has signals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from pilot.domain.findings import Finding, KpiValue
from pilot.domain.program import ProgramInfo
from pilot.domain.signals import ProgramSignals
from pilot.rules.base import DetectorOutput
from pilot.rules.calendar import local_date, zone
from pilot.rules.thresholds import Thresholds, thresholds_for


@dataclass(frozen=True)
class SignalContext:
    program: ProgramInfo
    signals: ProgramSignals
    now: datetime
    tz: ZoneInfo
    today: date
    limits: Thresholds

    @classmethod
    def build(cls, program: ProgramInfo, signals: ProgramSignals, now: datetime) -> SignalContext:
        if now.tzinfo is None:
            raise ValueError("a signal scan needs a timezone-aware `now`")
        tz = zone(program.timezone)
        return cls(program, signals, now, tz, local_date(now, tz), thresholds_for(program)[0])

    @property
    def period_start(self) -> datetime:
        return self.now - timedelta(days=self.limits.period_days)


SignalDetector = Callable[[SignalContext], DetectorOutput]


@dataclass(frozen=True)
class SignalDetectorSpec:
    id: str
    title: str
    rule_ids: tuple[str, ...]
    kpi_ids: tuple[str, ...]
    run: SignalDetector


SIGNAL_DETECTORS: dict[str, SignalDetectorSpec] = {}


def signal_detector(
    detector_id: str, title: str, *, rules: tuple[str, ...], kpis: tuple[str, ...] = ()
) -> Callable[[SignalDetector], SignalDetector]:
    def register(fn: SignalDetector) -> SignalDetector:
        if detector_id in SIGNAL_DETECTORS:
            raise ValueError(f"signal detector {detector_id!r} registered twice")
        SIGNAL_DETECTORS[detector_id] = SignalDetectorSpec(detector_id, title, rules, kpis, fn)
        return fn

    return register


@dataclass(frozen=True)
class SignalScan:
    findings: list[Finding]
    kpis: list[KpiValue]


def scan_signals(program: ProgramInfo, signals: ProgramSignals, now: datetime) -> SignalScan:
    ctx = SignalContext.build(program, signals, now)
    findings: list[Finding] = []
    kpis: list[KpiValue] = []
    for spec in SIGNAL_DETECTORS.values():
        output = spec.run(ctx)
        findings.extend(output.findings)
        kpis.extend(output.kpis)
    findings.sort(key=lambda f: (-f.severity.rank, f.rule_id, f.subjects))
    return SignalScan(findings=findings, kpis=kpis)


# The detector modules register themselves on import; they need the framework above.
from pilot.rules import delivery, meetings  # noqa: E402, F401
