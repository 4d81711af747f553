"""Detector thresholds: defaults per program tier, overridable per program.

The defaults come from the KPI framework in DESIGN.md. Tier 1 programs (revenue-critical,
multi-team) get the tightest targets; a program file can override any of them under
`program.thresholds` by the field names below.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from pilot.domain.program import ProgramInfo, Tier


@dataclass(frozen=True)
class Thresholds:
    # Risks and issues open with no progress for longer than this are "aged".
    aged_risk_days: float
    # At most this many aged risks/issues before the program-level finding fires.
    aged_risk_max: float
    # An issue should have an owner within this many hours of being opened.
    owner_assign_hours: float
    # A decision should be made within this many business days of being asked.
    decision_latency_business_days: float
    # Share of milestones due so far that met their target date.
    milestone_on_time_target: float
    # A forecast made `forecast_window_weeks` before completion must land within this share of the horizon.
    forecast_tolerance: float
    forecast_window_weeks: float
    # Share of completed milestones in the window whose forecast was within tolerance.
    forecast_accuracy_target: float
    # Length of the period KPIs compare (critical-path changes, scope change rate).
    period_days: float
    # Share of due dependencies delivered on or before their due date.
    dependency_closure_target: float
    # Dependencies at risk or blocked and due within this many days are flagged.
    dependency_at_risk_days: float
    # Share of change requests with a quantified impact.
    scope_quantified_target: float
    # Share of readiness items done, expected once the gate is this close.
    readiness_target: float
    readiness_window_days: float
    # Share of due corrective actions closed on time.
    corrective_on_time_target: float
    # Sev1 incidents attributed to a release allowed.
    sev1_release_max: float
    # A milestone whose forecast is more than this many days past target has slipped.
    milestone_slip_days: float
    # Meetings (rules.meetings): share of a recurring series' meetings in the window that end with
    # a decision or an action of record; a series is recurring from this many meetings in the window.
    meeting_outcome_target: float
    meeting_window_days: float
    meeting_series_min: float
    # Delivery (rules.delivery): a default-branch workflow red for longer than this; the share of
    # completed default-branch runs that passed in the period.
    ci_red_hours: float
    ci_pass_target: float
    # An open pull request (not a draft) waiting longer than this for its first review; the
    # median time to a first review over the period.
    pr_review_wait_hours: float
    review_turnaround_hours: float
    # Tickets reopened in the period allowed; a ticket blocked (status or Flagged) longer than this.
    reopened_max: float
    blocked_days: float
    # A critical-path milestone with at most this many business days before its target has no slack.
    critical_slack_days: float = 2
    # Weeks of ticket history a delivery forecast resamples.
    throughput_history_weeks: float = 12


TIER_DEFAULTS: dict[Tier, Thresholds] = {
    Tier.TIER_1: Thresholds(
        aged_risk_days=30,
        aged_risk_max=5,
        owner_assign_hours=24,
        decision_latency_business_days=5,
        milestone_on_time_target=0.90,
        forecast_tolerance=0.10,
        forecast_window_weeks=6,
        forecast_accuracy_target=0.80,
        period_days=14,
        dependency_closure_target=0.85,
        dependency_at_risk_days=14,
        scope_quantified_target=0.80,
        readiness_target=0.95,
        readiness_window_days=14,
        corrective_on_time_target=0.90,
        sev1_release_max=0,
        milestone_slip_days=0,
        meeting_outcome_target=0.9,
        meeting_window_days=28,
        meeting_series_min=2,
        ci_red_hours=24,
        ci_pass_target=0.9,
        pr_review_wait_hours=24,
        review_turnaround_hours=24,
        reopened_max=2,
        blocked_days=3,
    ),
    Tier.TIER_2: Thresholds(
        aged_risk_days=45,
        aged_risk_max=8,
        owner_assign_hours=48,
        decision_latency_business_days=7,
        milestone_on_time_target=0.85,
        forecast_tolerance=0.15,
        forecast_window_weeks=6,
        forecast_accuracy_target=0.75,
        period_days=14,
        dependency_closure_target=0.85,
        dependency_at_risk_days=14,
        scope_quantified_target=0.80,
        readiness_target=0.95,
        readiness_window_days=14,
        corrective_on_time_target=0.90,
        sev1_release_max=0,
        milestone_slip_days=0,
        meeting_outcome_target=0.85,
        meeting_window_days=28,
        meeting_series_min=2,
        ci_red_hours=48,
        ci_pass_target=0.85,
        pr_review_wait_hours=48,
        review_turnaround_hours=36,
        reopened_max=4,
        blocked_days=5,
    ),
    Tier.TIER_3: Thresholds(
        aged_risk_days=60,
        aged_risk_max=12,
        owner_assign_hours=72,
        decision_latency_business_days=10,
        milestone_on_time_target=0.80,
        forecast_tolerance=0.15,
        forecast_window_weeks=4,
        forecast_accuracy_target=0.70,
        period_days=14,
        dependency_closure_target=0.80,
        dependency_at_risk_days=14,
        scope_quantified_target=0.80,
        readiness_target=0.95,
        readiness_window_days=7,
        corrective_on_time_target=0.90,
        sev1_release_max=0,
        milestone_slip_days=0,
        meeting_outcome_target=0.8,
        meeting_window_days=42,
        meeting_series_min=2,
        ci_red_hours=72,
        ci_pass_target=0.8,
        pr_review_wait_hours=72,
        review_turnaround_hours=48,
        reopened_max=6,
        blocked_days=7,
    ),
}

THRESHOLD_NAMES: frozenset[str] = frozenset(f.name for f in fields(Thresholds))


def thresholds_for(program: ProgramInfo) -> tuple[Thresholds, list[str]]:
    """The program's thresholds and the override keys that are not thresholds (reported, not fatal)."""
    base = TIER_DEFAULTS[Tier(program.tier)]
    known = {k: float(v) for k, v in program.thresholds.items() if k in THRESHOLD_NAMES}
    unknown = sorted(k for k in program.thresholds if k not in THRESHOLD_NAMES)
    return replace(base, **known), unknown
