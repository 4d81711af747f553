"""Governance detectors: aged risks, time to assign an issue owner, decision latency, scope
change, and action items."""

from __future__ import annotations

from datetime import timedelta

from pilot.domain.findings import Finding, KpiStatus, KpiValue, Severity
from pilot.domain.program import ActionStatus, DecisionStatus, RaidKind, ref
from pilot.rules.base import DetectorOutput, ScanContext, ceiling_kpi, detector, iso, pct, ratio_kpi
from pilot.rules.calendar import add_business_days, business_days_between, hours_between, local_date, median


@detector(
    "aged_risks",
    "Risks and issues open past the threshold without progress",
    rules=("raid.aged", "raid.aged_count"),
    kpis=("aged_risks",),
)
def aged_risks(ctx: ScanContext) -> DetectorOutput:
    out = DetectorOutput()
    limit = timedelta(days=ctx.limits.aged_risk_days)
    aged: list[str] = []
    for item in ctx.data.raid:
        if item.kind not in (RaidKind.RISK, RaidKind.ISSUE) or not item.is_open:
            continue
        since = item.last_progress_at or item.opened_at
        age = ctx.now - since
        if age <= limit:
            continue
        aged.append(ref("raid", item.id))
        out.findings.append(
            Finding(
                rule_id="raid.aged",
                severity=Severity.WARNING,
                message=f"{item.id} '{item.title}' has had no progress since {local_date(since, ctx.tz)} "
                f"({age.days} days; threshold {ctx.limits.aged_risk_days:g}).",
                subjects=(ref("raid", item.id),),
                values={
                    "since": iso(since),
                    "threshold_days": ctx.limits.aged_risk_days,
                    "owner": item.owner,
                    "exposure": item.exposure,
                },
                measures={"age_days": age.days},
                suggested_action="Ask the owner for an update, a new mitigation, or close it.",
            )
        )
    count = len(aged)
    out.kpis.append(
        ceiling_kpi(
            "aged_risks",
            "Aged risks and issues",
            float(count),
            ctx.limits.aged_risk_max,
            "count",
            detail=f"open past {ctx.limits.aged_risk_days:g} days without progress",
        )
    )
    if count > ctx.limits.aged_risk_max:
        out.findings.append(
            Finding(
                rule_id="raid.aged_count",
                severity=Severity.ERROR,
                message=f"{count} risks and issues are aged (limit {ctx.limits.aged_risk_max:g} for this tier).",
                subjects=tuple(aged),
                values={"count": count, "limit": ctx.limits.aged_risk_max},
            )
        )
    return out


@detector(
    "issue_ownership",
    "Time to assign an issue owner",
    rules=("raid.owner_unassigned", "raid.owner_assign_slow"),
    kpis=("issue_owner_assign_hours",),
)
def issue_ownership(ctx: ScanContext) -> DetectorOutput:
    """The KPI is the median hours to an owner over issues owned so far and issues still waiting
    (counted up to now, a lower bound), so unowned issues pull it up instead of hiding."""
    out = DetectorOutput()
    limit = ctx.limits.owner_assign_hours
    waits: list[float] = []
    for item in ctx.data.raid:
        if item.kind != RaidKind.ISSUE:
            continue
        subject = (ref("raid", item.id),)
        if item.owner_assigned_at is not None:
            hours = hours_between(item.opened_at, item.owner_assigned_at)
            waits.append(hours)
            if hours > limit and item.is_open:
                out.findings.append(
                    Finding(
                        rule_id="raid.owner_assign_slow",
                        severity=Severity.INFO,
                        message=f"{item.id} '{item.title}' waited {hours:.0f} h for an owner (target {limit:g} h).",
                        subjects=subject,
                        values={
                            "opened_at": iso(item.opened_at),
                            "assigned_at": iso(item.owner_assigned_at),
                            "hours": round(hours, 1),
                            "threshold_hours": limit,
                        },
                    )
                )
        elif item.owner is None and item.is_open:
            hours = hours_between(item.opened_at, ctx.now)
            waits.append(hours)
            if hours > limit:
                out.findings.append(
                    Finding(
                        rule_id="raid.owner_unassigned",
                        severity=Severity.ERROR,
                        message=f"{item.id} '{item.title}' has had no owner since {local_date(item.opened_at, ctx.tz)}.",
                        subjects=subject,
                        values={"opened_at": iso(item.opened_at), "threshold_hours": limit},
                        measures={"hours_unowned": round(hours, 1)},
                        suggested_action="Assign an owner today.",
                    )
                )
    out.kpis.append(
        ceiling_kpi(
            "issue_owner_assign_hours",
            "Time to assign an issue owner (median)",
            median(waits),
            limit,
            "hours",
            detail=f"{len(waits)} issues, unowned ones counted up to now",
        )
    )
    return out


@detector(
    "decision_latency",
    "Decisions pending past the latency threshold",
    rules=("decision.latency",),
    kpis=("decision_latency_days",),
)
def decision_latency(ctx: ScanContext) -> DetectorOutput:
    out = DetectorOutput()
    limit = int(ctx.limits.decision_latency_business_days)
    latencies: list[float] = []
    holidays = ctx.data.program.holidays
    for decision in ctx.data.decisions:
        asked = local_date(decision.requested_at, ctx.tz)
        if decision.status == DecisionStatus.DECIDED and decision.decided_at is not None:
            latencies.append(business_days_between(asked, local_date(decision.decided_at, ctx.tz), holidays))
            continue
        if decision.status != DecisionStatus.PENDING:
            continue
        waited = business_days_between(asked, ctx.today, holidays)
        latencies.append(waited)
        if waited <= limit:
            continue
        past_needed = decision.needed_by is not None and decision.needed_by < ctx.today
        out.findings.append(
            Finding(
                rule_id="decision.latency",
                severity=Severity.ERROR if past_needed else Severity.WARNING,
                message=f"{decision.id} '{decision.question}' has waited {waited} business days for a decision "
                f"(threshold {limit}){'; it was needed by ' + str(decision.needed_by) if past_needed else ''}.",
                subjects=(ref("decision", decision.id),),
                values={
                    "requested": iso(asked),
                    "deadline": iso(add_business_days(asked, limit, holidays)),
                    "threshold_business_days": limit,
                    "decider": decision.decider,
                    "needed_by": iso(decision.needed_by),
                },
                measures={"business_days": waited},
                suggested_action="Put it in the next exec update as a decision ask.",
            )
        )
    out.kpis.append(
        ceiling_kpi(
            "decision_latency_days",
            "Decision latency (median business days)",
            median(latencies),
            limit,
            "days",
            detail=f"{len(latencies)} decisions, pending ones counted up to today",
        )
    )
    return out


@detector(
    "scope_change",
    "Scope change rate and share with quantified impact",
    rules=("scope.unquantified",),
    kpis=("scope_change_rate", "scope_quantified_share"),
)
def scope_change(ctx: ScanContext) -> DetectorOutput:
    out = DetectorOutput()
    period = int(ctx.limits.period_days)
    start = ctx.days_ago(period)
    requests = ctx.data.change_requests
    recent = [c for c in requests if start < local_date(c.requested_at, ctx.tz) <= ctx.today]
    before = [c for c in requests if ctx.days_ago(2 * period) < local_date(c.requested_at, ctx.tz) <= start]
    out.kpis.append(
        KpiValue(
            kpi_id="scope_change_rate",
            name="Scope change requests per period",
            value=float(len(recent)),
            unit="per_period",
            target=f"<= previous period ({len(before)})",
            status=KpiStatus.WARNING if len(recent) > len(before) else KpiStatus.OK,
            numerator=len(recent),
            detail=f"{len(recent)} change requests in the {period} days to {ctx.today}",
        )
    )
    quantified = [c for c in requests if c.impact_days is not None]
    kpi = ratio_kpi(
        "scope_quantified_share",
        "Scope changes with quantified impact",
        len(quantified),
        len(requests),
        ctx.limits.scope_quantified_target,
        detail=f"{len(quantified)} of {len(requests)} change requests",
    )
    out.kpis.append(kpi)
    if kpi.value is not None and kpi.status != KpiStatus.OK:
        missing = [ref("change", c.id) for c in requests if c.impact_days is None]
        out.findings.append(
            Finding(
                rule_id="scope.unquantified",
                severity=Severity.WARNING,
                message=f"{len(quantified)} of {len(requests)} change requests have a quantified impact "
                f"({pct(kpi.value)}, target {pct(ctx.limits.scope_quantified_target)}).",
                subjects=tuple(missing),
                values={
                    "quantified": len(quantified),
                    "total": len(requests),
                    "target": ctx.limits.scope_quantified_target,
                },
                suggested_action="Ask each requester for the impact in days.",
            )
        )
    return out


@detector(
    "action_items",
    "Action items overdue or without an owner",
    rules=("action.overdue", "action.unowned"),
)
def action_items(ctx: ScanContext) -> DetectorOutput:
    out = DetectorOutput()
    for action in ctx.data.action_items:
        if action.status != ActionStatus.OPEN:
            continue
        subject = (ref("action", action.id),)
        if action.owner is None:
            out.findings.append(
                Finding(
                    rule_id="action.unowned",
                    severity=Severity.WARNING,
                    message=f"{action.id} '{action.task}' has no owner.",
                    subjects=subject,
                    values={"created_at": iso(action.created_at)},
                )
            )
        if action.due is not None and action.due < ctx.today:
            out.findings.append(
                Finding(
                    rule_id="action.overdue",
                    severity=Severity.WARNING,
                    message=f"{action.id} '{action.task}' was due {action.due}.",
                    subjects=subject,
                    values={"due": iso(action.due), "owner": action.owner},
                    measures={"days_overdue": (ctx.today - action.due).days},
                )
            )
    return out
