"""Schedule detectors: milestones (slip, overdue, on-time rate, forecast accuracy, critical-path
churn), dependencies (closure rate, overdue, at risk) and release readiness."""

from __future__ import annotations

from datetime import date, timedelta

from pilot.domain.findings import Finding, KpiStatus, KpiValue, Severity
from pilot.domain.program import DependencyStatus, Milestone, MilestoneStatus, ref
from pilot.rules.base import (
    ClosureTally,
    DetectorOutput,
    ScanContext,
    detector,
    iso,
    pct,
    rate_finding,
    ratio_kpi,
)

_CLOSED_MS = (MilestoneStatus.DONE, MilestoneStatus.CANCELLED)


def forecast_as_of(milestone: Milestone, day: date) -> date:
    """The forecast that stood on `day`: the last re-forecast made on or before it, else the target."""
    standing = milestone.target_date
    for change in sorted(milestone.forecast_history, key=lambda c: c.changed_on):
        if change.changed_on <= day:
            standing = change.forecast
    return standing


@detector(
    "milestones",
    "Milestone slips, overdue milestones and the on-time rate",
    rules=("milestone.slipped", "milestone.overdue", "milestone.on_time_rate"),
    kpis=("milestone_on_time_rate",),
)
def milestones(ctx: ScanContext) -> DetectorOutput:
    out = DetectorOutput()
    limits = ctx.limits
    due: list[Milestone] = []
    missed: list[Milestone] = []
    for m in ctx.data.milestones:
        if m.status == MilestoneStatus.CANCELLED:
            continue
        subject = ref("milestone", m.id)
        if m.status != MilestoneStatus.DONE:
            forecast = m.current_forecast
            slip = (forecast - m.target_date).days
            if slip > limits.milestone_slip_days:
                out.findings.append(
                    Finding(
                        rule_id="milestone.slipped",
                        severity=Severity.ERROR if m.critical_path else Severity.WARNING,
                        message=f"{m.id} {m.name} is forecast {forecast} against target {m.target_date} "
                        f"({slip} days late{', on the critical path' if m.critical_path else ''}).",
                        subjects=(subject,),
                        values={
                            "target": iso(m.target_date),
                            "forecast": iso(forecast),
                            "slip_days": slip,
                            "critical_path": m.critical_path,
                        },
                        suggested_action="Confirm the new date with the owner and re-plan dependent work.",
                    )
                )
            if forecast < ctx.today:
                out.findings.append(
                    Finding(
                        rule_id="milestone.overdue",
                        severity=Severity.ERROR,
                        message=f"{m.id} {m.name} is not done and its forecast {forecast} has passed.",
                        subjects=(subject,),
                        values={"forecast": iso(forecast), "status": m.status.value},
                        measures={"days_overdue": (ctx.today - forecast).days},
                        suggested_action="Get a new forecast from the owner or mark the milestone done.",
                    )
                )
        if m.target_date <= ctx.today:
            due.append(m)
            if m.completed_on is None or m.completed_on > m.target_date:
                missed.append(m)
    hits = len(due) - len(missed)
    kpi = ratio_kpi(
        "milestone_on_time_rate",
        "Milestone on-time rate",
        hits,
        len(due),
        limits.milestone_on_time_target,
        detail=f"{hits} of {len(due)} milestones due so far met their target",
    )
    out.kpis.append(kpi)
    finding = rate_finding(
        kpi,
        "milestone.on_time_rate",
        f"{hits} of {len(due)} milestones due so far met their target",
        tuple(ref("milestone", m.id) for m in missed),
        {"on_time": hits, "due": len(due), "target": limits.milestone_on_time_target},
    )
    if finding is not None:
        out.findings.append(finding)
    return out


@detector(
    "forecast_accuracy",
    "Forecast accuracy over the forecast window",
    rules=("milestone.forecast_miss",),
    kpis=("forecast_accuracy",),
)
def forecast_accuracy(ctx: ScanContext) -> DetectorOutput:
    """A milestone finished in the window is accurate when the forecast that stood `window` weeks
    before completion landed within `tolerance` of that horizon (10% of 6 weeks is 4.2 days)."""
    out = DetectorOutput()
    window = timedelta(weeks=ctx.limits.forecast_window_weeks)
    allowed = ctx.limits.forecast_tolerance * window.days
    recent = [
        m
        for m in ctx.data.milestones
        if m.completed_on is not None and ctx.today - window < m.completed_on <= ctx.today
    ]
    accurate = 0
    for m in recent:
        assert m.completed_on is not None
        then = forecast_as_of(m, m.completed_on - window)
        error_days = (m.completed_on - then).days
        if abs(error_days) <= allowed:
            accurate += 1
            continue
        out.findings.append(
            Finding(
                rule_id="milestone.forecast_miss",
                severity=Severity.WARNING,
                message=f"{m.id} {m.name} finished {m.completed_on}, {abs(error_days)} days "
                f"{'after' if error_days > 0 else 'before'} the forecast {then} that stood "
                f"{window.days // 7} weeks earlier (tolerance {allowed:.1f} days).",
                subjects=(ref("milestone", m.id),),
                values={
                    "completed_on": iso(m.completed_on),
                    "forecast_then": iso(then),
                    "error_days": error_days,
                    "tolerance_days": round(allowed, 2),
                },
            )
        )
    out.kpis.append(
        ratio_kpi(
            "forecast_accuracy",
            "Forecast accuracy",
            accurate,
            len(recent),
            ctx.limits.forecast_accuracy_target,
            detail=f"{accurate} of {len(recent)} milestones finished in the last {window.days // 7} weeks "
            f"landed within ±{pct(ctx.limits.forecast_tolerance)} of the forecast made then",
        )
    )
    return out


@detector(
    "critical_path_churn",
    "Critical-path forecast changes per period (should trend down)",
    rules=("milestone.critical_path_churn",),
    kpis=("critical_path_changes",),
)
def critical_path_churn(ctx: ScanContext) -> DetectorOutput:
    """Re-forecasts of milestones and dependencies on the computed critical path (as it stood at
    either end of the period the change falls in), this period against the one before."""
    out = DetectorOutput()
    period = int(ctx.limits.period_days)
    start = ctx.days_ago(period)
    previous_start = ctx.days_ago(2 * period)
    structure = ctx.plan.structure
    now_path = ctx.plan.critical
    start_path = ctx.plan.critical_on(start)
    previous_path = ctx.plan.critical_on(previous_start)
    this_period: list[str] = []
    previous = 0
    for kind, record in zip(structure.kinds, structure.records, strict=True):
        for change in record.forecast_history:
            if start < change.changed_on <= ctx.today and record.id in now_path | start_path:
                this_period.append(ref(kind, record.id))
            elif previous_start < change.changed_on <= start and record.id in start_path | previous_path:
                previous += 1
    count = len(this_period)
    rising = count > previous and count > 0
    out.kpis.append(
        KpiValue(
            kpi_id="critical_path_changes",
            name="Critical-path forecast changes per period",
            value=float(count),
            unit="per_period",
            target=f"<= previous period ({previous})",
            status=KpiStatus.WARNING if rising else KpiStatus.OK,
            numerator=count,
            denominator=None,
            detail=f"{count} re-forecasts on the computed critical path in the {period} days to {ctx.today}, "
            f"{previous} in the {period} days before",
        )
    )
    if rising:
        out.findings.append(
            Finding(
                rule_id="milestone.critical_path_churn",
                severity=Severity.WARNING,
                message=f"{count} critical-path forecast changes in the last {period} days against "
                f"{previous} in the period before: the plan is not settling.",
                subjects=tuple(sorted(set(this_period))),
                values={"this_period": count, "previous_period": previous, "period_end": iso(ctx.today)},
            )
        )
    return out


@detector(
    "dependencies",
    "Dependency closure rate, overdue and at-risk dependencies",
    rules=("dependency.closure_rate", "dependency.overdue", "dependency.at_risk"),
    kpis=("dependency_closure_rate",),
)
def dependencies(ctx: ScanContext) -> DetectorOutput:
    out = DetectorOutput()
    horizon = ctx.today + timedelta(days=ctx.limits.dependency_at_risk_days)
    tally = ClosureTally()
    for d in ctx.data.dependencies:
        if d.status == DependencyStatus.CANCELLED:
            continue
        subject = ref("dependency", d.id)
        delivered = d.status == DependencyStatus.DELIVERED
        if d.due_date <= ctx.today:
            as_planned = delivered and d.delivered_on is not None and d.delivered_on <= d.due_date
            tally.count(subject, on_time=as_planned)
        if not delivered and d.due_date < ctx.today:
            out.findings.append(
                Finding(
                    rule_id="dependency.overdue",
                    severity=Severity.ERROR,
                    message=f"{d.id} '{d.deliverable}' from {d.provider_team} to {d.consumer_team} was due "
                    f"{d.due_date} and is {d.status.value}.",
                    subjects=(subject,),
                    values={"due": iso(d.due_date), "status": d.status.value, "provider": d.provider_team},
                    measures={"days_overdue": (ctx.today - d.due_date).days},
                    suggested_action="Escalate to the provider team's lead for a committed date.",
                )
            )
        elif (
            d.status in (DependencyStatus.AT_RISK, DependencyStatus.BLOCKED)
            and ctx.today <= d.due_date <= horizon
        ):
            out.findings.append(
                Finding(
                    rule_id="dependency.at_risk",
                    severity=Severity.ERROR if d.status == DependencyStatus.BLOCKED else Severity.WARNING,
                    message=f"{d.id} '{d.deliverable}' is {d.status.value} and due {d.due_date}.",
                    subjects=(subject,),
                    values={"due": iso(d.due_date), "status": d.status.value, "provider": d.provider_team},
                    measures={"days_left": (d.due_date - ctx.today).days},
                )
            )
    tally.report(
        out,
        "dependency_closure_rate",
        "Dependency closure rate (delivered as planned)",
        "dependency.closure_rate",
        target=ctx.limits.dependency_closure_target,
        detail="dependencies delivered on time",
        sentence="dependencies were delivered as planned",
    )
    return out


@detector(
    "readiness",
    "Release readiness completion before the go/no-go",
    rules=("readiness.behind",),
    kpis=("readiness_completion",),
)
def readiness(ctx: ScanContext) -> DetectorOutput:
    """The KPI follows the next gate (or the latest past one when none is ahead); a finding fires for
    every release whose gate is within the window with less than the target done."""
    out = DetectorOutput()
    by_release: dict[str, list[tuple[date, bool, str]]] = {}
    for item in ctx.data.readiness:
        by_release.setdefault(item.release, []).append((item.gate_date, item.done, item.id))
    if not by_release:
        out.kpis.append(
            ratio_kpi("readiness_completion", "Release readiness", 0, 0, ctx.limits.readiness_target)
        )
        return out
    gates = {release: min(g for g, _, _ in items) for release, items in by_release.items()}
    ahead = sorted((g, r) for r, g in gates.items() if g >= ctx.today)
    focus = ahead[0][1] if ahead else max(gates, key=lambda r: gates[r])
    window_end = ctx.today + timedelta(days=ctx.limits.readiness_window_days)
    for release, items in sorted(by_release.items()):
        gate = gates[release]
        done = sum(1 for _, is_done, _ in items if is_done)
        share = done / len(items)
        if release == focus:
            out.kpis.append(
                ratio_kpi(
                    "readiness_completion",
                    f"Release readiness ({release}, gate {gate})",
                    done,
                    len(items),
                    ctx.limits.readiness_target,
                    detail=f"{done} of {len(items)} checklist items done",
                )
            )
        if ctx.today <= gate <= window_end and share < ctx.limits.readiness_target:
            open_items = [ref("readiness", rid) for _, is_done, rid in items if not is_done]
            out.findings.append(
                Finding(
                    rule_id="readiness.behind",
                    severity=Severity.ERROR,
                    message=f"Release {release}: {done} of {len(items)} readiness items done ({pct(share)}) "
                    f"with the go/no-go on {gate}; target {pct(ctx.limits.readiness_target)}.",
                    subjects=(ref("milestone", release), *open_items),
                    values={
                        "release": release,
                        "gate": iso(gate),
                        "done": done,
                        "total": len(items),
                        "target": ctx.limits.readiness_target,
                    },
                    measures={"days_to_gate": (gate - ctx.today).days},
                    suggested_action="Review the open items with their owners; decide go/no-go criteria now.",
                )
            )
    return out
