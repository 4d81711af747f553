"""`scan(data, now)`: run every registered program detector and collect findings and KPIs.

Pure: the same data and `now` give the same result. Finding facts (`values`) never include the
scan time, so re-scanning tomorrow does not reopen a resolved finding whose facts are unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pilot.domain.findings import Finding, KpiValue
from pilot.domain.program import ProgramData
from pilot.domain.schedule import WorkItem

# Importing the detector modules registers them.
from pilot.rules import governance, quality, schedule, schedule_checks  # noqa: F401
from pilot.rules.base import DETECTORS, DetectorSpec, ScanContext

__all__ = ["DETECTORS", "ScanResult", "catalogue", "scan"]


@dataclass(frozen=True)
class ScanResult:
    findings: list[Finding]
    kpis: list[KpiValue]


def scan(data: ProgramData, now: datetime, *, work: Sequence[WorkItem] = (), seed: int = 0) -> ScanResult:
    """`work`: the program's tickets (delivery forecasts use them); `seed`: of the forecasts' draws."""
    return run_detectors(ScanContext.build(data, now, work=work, seed=seed))


def run_detectors(ctx: ScanContext) -> ScanResult:
    """Every registered detector on one context (which computes the plan and forecasts once)."""
    findings: list[Finding] = []
    kpis: list[KpiValue] = []
    for spec in DETECTORS.values():
        output = spec.run(ctx)
        findings.extend(output.findings)
        kpis.extend(output.kpis)
    findings.sort(key=lambda f: (-f.severity.rank, f.rule_id, f.subjects))
    return ScanResult(findings=findings, kpis=kpis)


def catalogue() -> list[DetectorSpec]:
    return list(DETECTORS.values())
