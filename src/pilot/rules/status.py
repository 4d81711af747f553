"""The overall status colour, computed from the program's findings (never chosen by a writer).

Formula (documented in the README):
- RED when any of these fire: a critical-path milestone slipped (`milestone.slipped` at error),
  a milestone overdue, release readiness behind within its window before the go/no-go, a Sev1
  incident attributed to a release, or a blocked dependency due within the window.
- AMBER, otherwise, when any finding of severity warning or above fires, or a KPI is in breach.
- GREEN otherwise.
The reasons list which findings decided the colour, so a reader can check it.
"""

from __future__ import annotations

from collections.abc import Sequence

from pilot.domain.findings import Finding, KpiStatus, KpiValue, Severity
from pilot.domain.status import Colour

RED_RULES = frozenset({"milestone.overdue", "readiness.behind", "incident.sev1_release"})
RED_WHEN_ERROR = frozenset({"milestone.slipped", "dependency.at_risk"})


def overall_colour(findings: Sequence[Finding], kpis: Sequence[KpiValue]) -> tuple[Colour, list[str]]:
    colour, deciding, breaches = colour_basis(findings, kpis)
    return colour, [f"{f.rule_id}: {', '.join(f.subjects[:3])}" for f in deciding] + [
        f"KPI {k.kpi_id} in breach" for k in breaches
    ]


def colour_basis(
    findings: Sequence[Finding], kpis: Sequence[KpiValue]
) -> tuple[Colour, list[Finding], list[KpiValue]]:
    """The colour with the findings and the KPIs in breach that decided it."""
    red = [
        f
        for f in findings
        if f.rule_id in RED_RULES or (f.rule_id in RED_WHEN_ERROR and f.severity == Severity.ERROR)
    ]
    if red:
        return Colour.RED, red, []
    amber = [f for f in findings if f.severity.rank >= Severity.WARNING.rank]
    breaches = [k for k in kpis if k.status == KpiStatus.BREACH]
    if amber or breaches:
        return Colour.AMBER, amber[:8], breaches
    return Colour.GREEN, [], []
