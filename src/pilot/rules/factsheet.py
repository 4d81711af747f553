"""The fact sheet of a program for a period: every fact a status update may state. Pure.

Milestones: open ones and those finished in the period, target against forecast and how many
times the forecast moved in the period. Top risks: open risks and issues by exposure (then age).
Dependencies at risk: not delivered and at risk, blocked or overdue. Pending decisions with the
business days they have waited. Incidents that started in the period. What changed since the last
approved update: colour, milestone forecasts, and decisions taken since.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta

from pilot.domain.program import DecisionStatus, DependencyStatus, MilestoneStatus, ProgramData, RaidKind
from pilot.domain.schedule import WorkItem
from pilot.domain.status import (
    DecisionFact,
    DependencyFact,
    FactSheet,
    ForecastFact,
    IncidentFact,
    MilestoneFact,
    RiskFact,
    SlipFact,
)
from pilot.rules.base import ScanContext
from pilot.rules.calendar import business_days_between, local_date
from pilot.rules.detectors import run_detectors
from pilot.rules.schedule import forecast_as_of
from pilot.rules.schedule_checks import period_slips
from pilot.rules.status import overall_colour

TOP_RISKS = 5


def build_fact_sheet(
    data: ProgramData,
    now: datetime,
    *,
    period_days: int | None = None,
    last: FactSheet | None = None,
    work: Sequence[WorkItem] = (),
    seed: int = 0,
) -> FactSheet:
    """`work`: the program's tickets, for delivery forecasts (`seed` of their draws)."""
    ctx = ScanContext.build(data, now, work=work, seed=seed)
    today = ctx.today
    period = int(period_days or ctx.limits.period_days)
    start = today - timedelta(days=period)
    result = run_detectors(ctx)
    colour, reasons = overall_colour(result.findings, result.kpis)
    people = {p.id: p.name for p in data.people}
    named: dict[str, str] = {}

    def name(person_id: str | None) -> str | None:
        if person_id is None:
            return None
        named[person_id] = people.get(person_id, person_id)
        return named[person_id]

    milestones = _milestone_facts(data, today, start)
    top_risks = _risk_facts(data, now, name)
    deps = _dependency_facts(data, today, today + timedelta(days=ctx.limits.dependency_at_risk_days))
    threshold = int(ctx.limits.decision_latency_business_days)
    decisions = _decision_facts(ctx, now, threshold, name)
    incidents = [
        IncidentFact(
            id=i.id,
            title=i.title,
            severity=i.severity,
            started=local_date(i.started_at, ctx.tz),
            release=i.release,
        )
        for i in sorted(data.incidents, key=lambda i: i.started_at)
        if start < local_date(i.started_at, ctx.tz) <= today
    ]
    sheet = FactSheet(
        program_id=data.program.id,
        program_name=data.program.name,
        tier=int(data.program.tier),
        as_of=today,
        period_start=start,
        colour=colour,
        colour_reasons=reasons,
        kpis=result.kpis,
        milestones=milestones,
        top_risks=top_risks,
        dependencies_at_risk=deps,
        pending_decisions=decisions,
        incidents=incidents,
        people=named,
        teams={t.id: t.name for t in data.teams},
        decision_latency_threshold=threshold,
    )
    schedule_facts(ctx, sheet)
    sheet.changes_since_last_update = changes_since(last, sheet, data) if last else []
    return sheet


def _milestone_facts(data: ProgramData, today: date, start: date) -> list[MilestoneFact]:
    milestones = []
    for m in sorted(data.milestones, key=lambda m: (m.target_date, m.id)):
        # As of `today`: a milestone finished later was still open then, with the forecast that stood.
        done = m.completed_on is not None and m.completed_on <= today
        done_in_period = done and m.completed_on is not None and start < m.completed_on <= today
        if m.status == MilestoneStatus.CANCELLED or (done and not done_in_period):
            continue
        moved = [c for c in m.forecast_history if start < c.changed_on <= today]
        previous = forecast_as_of(m, start) if moved else None
        later_changes = any(c.changed_on > today for c in m.forecast_history)
        standing = forecast_as_of(m, today) if later_changes else m.current_forecast
        forecast = m.completed_on if done and m.completed_on else standing
        status = (
            m.status.value if done or m.status != MilestoneStatus.DONE else MilestoneStatus.IN_PROGRESS.value
        )
        milestones.append(
            MilestoneFact(
                id=m.id,
                name=m.name,
                target=m.target_date,
                forecast=forecast,
                status=status,
                slip_days=(forecast - m.target_date).days,
                critical_path=m.critical_path,
                moved_in_period=len(moved),
                previous_forecast=previous,
            )
        )
    return milestones


def _risk_facts(data: ProgramData, now: datetime, name: Callable[[str | None], str | None]) -> list[RiskFact]:
    risks = sorted(
        (
            r
            for r in data.raid
            if r.kind in (RaidKind.RISK, RaidKind.ISSUE) and r.is_open and r.opened_at <= now
        ),
        key=lambda r: (-r.exposure, r.opened_at, r.id),
    )[:TOP_RISKS]
    return [
        RiskFact(
            id=r.id,
            kind=r.kind.value,
            title=r.title,
            owner=name(r.owner),
            exposure=r.exposure,
            mitigation=r.mitigation,
            age_days=(now - r.opened_at).days,
        )
        for r in risks
    ]


def _dependency_facts(data: ProgramData, today: date, window: date) -> list[DependencyFact]:
    return [
        DependencyFact(
            id=d.id,
            deliverable=d.deliverable,
            provider=d.provider_team,
            consumer=d.consumer_team,
            due=d.due_date,
            status=d.status.value,
        )
        for d in sorted(data.dependencies, key=lambda d: (d.due_date, d.id))
        if d.status not in (DependencyStatus.DELIVERED, DependencyStatus.CANCELLED)
        and (
            d.due_date < today
            or (d.status in (DependencyStatus.AT_RISK, DependencyStatus.BLOCKED) and d.due_date <= window)
        )
    ]


def _decision_facts(
    ctx: ScanContext, now: datetime, threshold: int, name: Callable[[str | None], str | None]
) -> list[DecisionFact]:
    data, today = ctx.data, ctx.today
    decisions = []
    for d in sorted(data.decisions, key=lambda d: (d.requested_at, d.id)):
        if d.status != DecisionStatus.PENDING or d.requested_at > now:
            continue
        waited = business_days_between(local_date(d.requested_at, ctx.tz), today, data.program.holidays)
        decisions.append(
            DecisionFact(
                id=d.id,
                question=d.question,
                options=list(d.options),
                recommendation=d.recommendation,
                decider=name(d.decider),
                needed_by=d.needed_by,
                cost_of_delay=d.cost_of_delay,
                waited_business_days=waited,
                past_threshold=waited > threshold,
            )
        )
    return decisions


def schedule_facts(ctx: ScanContext, sheet: FactSheet) -> None:
    """The computed critical path, the delivery forecasts of open milestones (critical ones
    first) and the period's re-forecasts with what they moved."""
    result = ctx.plan.result
    critical = set(result.critical_path)
    sheet.critical_path = list(result.critical_path)
    sheet.plan_finish = result.finish if result.critical_path else None
    order = {record_id: at for at, record_id in enumerate(result.critical_path)}
    forecasts = sorted(
        ctx.forecast.forecasts,
        key=lambda f: (f.milestone_id not in critical, order.get(f.milestone_id, 0), f.target),
    )
    sheet.forecasts = [
        ForecastFact(
            milestone_id=f.milestone_id,
            name=f.name,
            basis=f.basis,
            target=f.target,
            p50=f.p50,
            p85=f.p85,
            chance_pct=None if f.probability_on_target is None else round(f.probability_on_target * 100),
            critical=f.milestone_id in critical,
            reason=f.reason,
            drivers=[d.text for d in f.drivers],
        )
        for f in forecasts
    ]
    found_slips = period_slips(ctx)
    # A slip that another one moved is told by that one (DEP-16 moved because M-09 did).
    consequences = {s.id for f in found_slips for s in f.explained.steps[1:]}
    ordered = sorted(found_slips, key=lambda f: (-len(f.explained.gates_at_risk), -len(f.explained.steps)))
    for found in ordered:
        explained = found.explained
        if explained.origin in consequences:
            continue
        sheet.slips.append(
            SlipFact(
                origin=explained.origin,
                changed_from=found.earlier,
                changed_to=found.later,
                slip_days=found.slip,
                summary=explained.summary,
                moved={s.id: s.slip_days for s in explained.steps},
                absorbed={s.id: s.absorbed_days for s in explained.steps if s.absorbed_days},
                targets={s.id: s.target for s in explained.steps},
                gates={g.release: g.gate for g in explained.gates_at_risk},
            )
        )


def changes_since(last: FactSheet, now: FactSheet, data: ProgramData) -> list[str]:
    changes: list[str] = []
    if last.colour != now.colour:
        changes.append(f"Status moved from {last.colour.value} to {now.colour.value}.")
    before = {m.id: m for m in last.milestones}
    for m in now.milestones:
        old = before.get(m.id)
        if old is not None and old.forecast != m.forecast:
            changes.append(f"{m.id} {m.name} forecast moved from {old.forecast} to {m.forecast}.")
    pending_before = {d.id for d in last.pending_decisions}
    for d in data.decisions:
        if d.id in pending_before and d.status == DecisionStatus.DECIDED:
            changes.append(f"{d.id} decided: {d.outcome or d.question}.")
    return changes
