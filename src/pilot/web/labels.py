"""Words for people: rule families and rules by name, KPI values and targets in one unit
("62% (target at least 80%)", "8 business days (target at most 5)"), never "0 per_period"."""

from __future__ import annotations

from pilot.domain.findings import KpiStatus, KpiValue, rule_family

FAMILIES = {
    "milestone": "Milestones",
    "schedule": "Schedule",
    "dependency": "Dependencies",
    "readiness": "Release readiness",
    "raid": "Risks and issues",
    "decision": "Decisions",
    "action": "Action items",
    "corrective": "Corrective actions",
    "incident": "Incidents",
    "scope": "Scope changes",
    "meeting": "Meetings",
    "delivery": "Delivery signals",
    "config": "Configuration",
}

RULES = {
    "milestone.slipped": "Milestone slipped",
    "milestone.overdue": "Milestone overdue",
    "milestone.forecast_miss": "Finished far from its forecast",
    "milestone.on_time_rate": "Too few milestones on time",
    "milestone.critical_path_churn": "Critical-path dates keep moving",
    "schedule.slip_propagation": "A slip moves later dates",
    "schedule.critical_unflagged": "Critical but not flagged",
    "schedule.critical_flag_slack": "Flagged critical, has slack",
    "schedule.critical_no_slack": "No slack left",
    "schedule.critical_path_changed": "Critical path changed",
    "dependency.at_risk": "Dependency at risk",
    "dependency.overdue": "Dependency overdue",
    "dependency.closure_rate": "Too few dependencies on time",
    "readiness.behind": "Readiness behind before go/no-go",
    "raid.aged": "No progress for weeks",
    "raid.aged_count": "Too many aged risks and issues",
    "raid.owner_unassigned": "No owner",
    "raid.owner_assign_slow": "Owner assigned slowly",
    "decision.latency": "Decision waiting too long",
    "action.overdue": "Action overdue",
    "action.unowned": "Action without an owner",
    "corrective.overdue": "Corrective action overdue",
    "corrective.closure_rate": "Too few corrective actions on time",
    "incident.sev1_release": "Sev1 incident from a release",
    "scope.unquantified": "Scope change without its impact",
    "meeting.no_outcome": "Meeting ended without decisions or actions",
    "meeting.series_outcome_rate": "Meeting series rarely decides",
    "delivery.ci_red": "Default-branch CI failing",
    "delivery.ci_pass_rate": "CI pass rate low",
    "delivery.pr_waiting_review": "Pull request waiting for review",
    "delivery.review_turnaround": "Slow first reviews",
    "delivery.tickets_reopened": "Tickets reopened",
    "delivery.ticket_blocked": "Ticket blocked",
    "config.unknown_threshold": "Unknown threshold setting",
}

KPI_STATUS = {
    KpiStatus.OK: "on target",
    KpiStatus.WARNING: "near the limit",
    KpiStatus.BREACH: "off target",
    KpiStatus.NO_DATA: "no data yet",
}

_UNIT_WORDS = {"hours": ("hour", "hours"), "days": ("day", "days"), "count": ("", "")}


def family_label(family: str) -> str:
    return FAMILIES.get(family, family.replace("_", " ").capitalize())


def rule_label(rule_id: str) -> str:
    if rule_id in RULES:
        return RULES[rule_id]
    _, _, name = rule_id.partition(".")
    return (name or rule_id).replace("_", " ").capitalize()


def rule_family_label(rule_id: str) -> str:
    return family_label(rule_family(rule_id))


def _number(value: float, unit: str) -> str:
    if unit == "ratio":
        return f"{value * 100:.0f}%"
    shown = f"{value:.1f}".rstrip("0").rstrip(".") if unit == "hours" else f"{value:g}"
    singular, plural = _UNIT_WORDS.get(unit, ("", ""))
    word = singular if value == 1 else plural
    return f"{shown} {word}".strip()


def kpi_value(kpi: KpiValue) -> str:
    """The KPI's value with its unit: "62%", "8 days", "3.8 hours", "4 this period"."""
    if kpi.value is None:
        return "no data"
    if kpi.unit == "per_period":
        return f"{kpi.value:g} this period"
    return _number(kpi.value, kpi.unit)


def kpi_target(kpi: KpiValue) -> str:
    """The target in the value's unit: ">= 0.80" -> "at least 80%", "<= 24" -> "at most 24 hours",
    "<= previous period (1)" -> "at most the previous period's 1"."""
    sign, _, rest = kpi.target.strip().partition(" ")
    words = {">=": "at least", "<=": "at most", ">": "more than", "<": "less than", "==": "exactly"}.get(sign)
    if words is None:
        return kpi.target
    if rest.startswith("previous period"):
        count = rest.removeprefix("previous period").strip(" ()")
        return f"{words} the previous period's {count}" if count else f"{words} the previous period"
    try:
        number = float(rest)
    except ValueError:
        return f"{words} {rest}"
    return f"{words} {_number(number, kpi.unit)}"


def kpi_with_target(kpi: KpiValue) -> str:
    return f"{kpi_value(kpi)} (target {kpi_target(kpi)})"
