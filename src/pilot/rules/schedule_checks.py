"""Schedule detectors on the computed plan (rules.schedule_graph) and the ticket forecasts
(rules.forecast): the `critical_path` flag checked against the computed path, critical milestones
without slack, a critical path that changed in the period, re-forecasts whose slip moves other
work, and milestones whose P85 date is past their target."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from pilot.domain.findings import Finding, Severity
from pilot.domain.program import Milestone, ref
from pilot.domain.schedule import SlipPropagation
from pilot.rules.base import DetectorOutput, ScanContext, detector, iso
from pilot.rules.schedule_graph import Cpm, Plan, PlanState, propagate, standing_forecast
from pilot.rules.slips import days, explain_slip


def path_text(path: list[str]) -> str:
    return " -> ".join(path) or "nothing left open"


@detector(
    "critical_path",
    "The critical_path flag against the computed critical path; critical milestones without slack",
    rules=("schedule.critical_flag_slack", "schedule.critical_unflagged", "schedule.critical_no_slack"),
)
def critical_path(ctx: ScanContext) -> DetectorOutput:
    out = DetectorOutput()
    plan = ctx.plan
    structure, state, cpm = plan.structure, plan.state, plan.cpm
    for node, milestone in enumerate(structure.records):
        if state.done[node] or not isinstance(milestone, Milestone):
            continue
        slack = cpm.total_float(node)
        subject = ref("milestone", milestone.id)
        if milestone.critical_path and slack > 0:
            out.findings.append(
                Finding(
                    rule_id="schedule.critical_flag_slack",
                    severity=Severity.WARNING,
                    message=f"{milestone.id} {milestone.name} is flagged critical but has {days(slack)} of "
                    f"slack: the computed critical path is {path_text(plan.path)}.",
                    subjects=(subject,),
                    values={"total_float": slack, "critical_path": list(plan.path)},
                    suggested_action="Clear the flag, or record the dependency that makes it critical.",
                )
            )
        elif slack == 0 and not milestone.critical_path:
            out.findings.append(
                Finding(
                    rule_id="schedule.critical_unflagged",
                    severity=Severity.WARNING,
                    message=f"{milestone.id} {milestone.name} is on the computed critical path ({path_text(plan.path)}) "
                    "but not flagged critical: any slip in it moves the plan's end.",
                    subjects=(subject,),
                    values={"finish": iso(plan.finish_date(node)), "critical_path": list(plan.path)},
                    suggested_action="Flag it critical and review its forecast with the owner.",
                )
            )
        if slack == 0:
            buffer = state.workdays.offset_of(milestone.target_date) - cpm.finish[node]
            _no_slack(ctx, milestone, plan.finish_date(node), buffer, out)
    return out


def _no_slack(ctx: ScanContext, milestone: Milestone, finish: date, buffer: int, out: DetectorOutput) -> None:
    """On the critical path and landing on its target with at most the threshold's business days
    to spare; or put past its target by the plan graph although its own forecast is not."""
    hidden_slip = buffer < 0 and milestone.current_forecast <= milestone.target_date
    if not (0 <= buffer <= ctx.limits.critical_slack_days or hidden_slip):
        return
    target = milestone.target_date
    if hidden_slip:
        text = (
            f"the plan graph puts it {days(-buffer)} past its target {target} (computed finish "
            f"{finish}) although its forecast is {milestone.current_forecast}"
        )
    else:
        text = f"{days(buffer)} between its computed finish {finish} and its target {target}: any slip upstream makes it late"
    out.findings.append(
        Finding(
            rule_id="schedule.critical_no_slack",
            severity=Severity.ERROR if hidden_slip else Severity.WARNING,
            message=f"{milestone.id} {milestone.name} is on the critical path with no slack: {text}.",
            subjects=(ref("milestone", milestone.id),),
            values={"finish": iso(finish), "target": iso(target), "buffer_days": buffer},
            suggested_action="Protect the chain feeding it, or move its target with the sponsor now.",
        )
    )


@detector(
    "critical_path_change",
    "The computed critical path changed in the period",
    rules=("schedule.critical_path_changed",),
)
def critical_path_change(ctx: ScanContext) -> DetectorOutput:
    out = DetectorOutput()
    plan = ctx.plan
    structure = plan.structure
    start = ctx.days_ago(ctx.limits.period_days)
    before = plan.critical_on(start)
    still_open = {structure.ids[i] for i in range(structure.size) if not plan.state.done[i]}
    joined, left = sorted(plan.critical - before), sorted((before - plan.critical) & still_open)
    if not joined and not left:
        return out
    moves = [f"{', '.join(joined)} joined it"] if joined else []
    moves += [f"{', '.join(left)} left it"] if left else []
    out.findings.append(
        Finding(
            rule_id="schedule.critical_path_changed",
            severity=Severity.WARNING,
            message=f"The critical path changed since {start}: it now runs {path_text(plan.path)}; "
            f"{'; '.join(moves)}.",
            subjects=tuple(ref(structure.kinds[structure.index[i]], i) for i in joined + left),
            values={"since": iso(start), "joined": list(joined), "left": list(left)},
            suggested_action="Check the new path's forecasts with their owners; re-plan around it.",
        )
    )
    return out


@dataclass(frozen=True)
class PeriodSlip:
    node: int
    earlier: date
    later: date
    slip: int  # business days
    explained: SlipPropagation


def period_slips(ctx: ScanContext) -> list[PeriodSlip]:
    """Open records re-forecast later in the period: slipped by the business days between the
    forecast that stood at the period start and the one now, propagated through today's plan
    (with the record's remaining work as it would be without the slip). Only slips that move
    something else, or put a go/no-go at risk, are kept."""
    plan = ctx.plan
    structure, state = plan.structure, plan.state
    start = ctx.days_ago(ctx.limits.period_days)
    out = []
    for node, record in enumerate(structure.records):
        if state.done[node] or not any(start < c.changed_on <= ctx.today for c in record.forecast_history):
            continue
        if all(state.done[s] for s in structure.succs[node]):  # nothing waits for it: nothing to move
            continue
        earlier, later = standing_forecast(record, start), state.forecast[node]
        slip = state.workdays.offset_of(later) - state.workdays.offset_of(earlier)
        if slip <= 0:
            continue
        base, base_cpm = _without_slip(plan, node, slip)
        explained = explain_slip(structure, base, base_cpm, node, slip, replan=False)
        if len(explained.steps) > 1 or explained.gates_at_risk:
            out.append(PeriodSlip(node, earlier, later, slip, explained))
    return out


def _without_slip(plan: Plan, node: int, slip: int) -> tuple[PlanState, Cpm]:
    """The plan as it would be had `node` not slipped: its remaining work `slip` shorter, and the
    records that moved with it moved back (an incremental pass, not a whole re-plan)."""
    state, cpm = plan.state, plan.cpm
    remaining = list(state.remaining)
    remaining[node] = max(0, remaining[node] - slip)
    back = propagate(plan.structure, state, cpm, node, -slip)
    start, finish = list(cpm.start), list(cpm.finish)
    for moved, new_finish in back.items():
        finish[moved] = new_finish
        start[moved] = new_finish - remaining[moved]
    end = cpm.end
    if any(cpm.finish[moved] == cpm.end for moved in back):  # it was holding up the end
        end = max((f for i, f in enumerate(finish) if not state.done[i]), default=0)
    return replace(state, remaining=remaining), Cpm(start, finish, cpm.latest_finish, end)


@detector(
    "slip_propagation",
    "Re-forecasts in the period and what they moved downstream, given slack",
    rules=("schedule.slip_propagation",),
)
def slip_propagation(ctx: ScanContext) -> DetectorOutput:
    out = DetectorOutput()
    structure = ctx.plan.structure
    for found in period_slips(ctx):
        explained = found.explained
        record_id = structure.ids[found.node]
        late = any(s.newly_late for s in explained.steps[1:]) or bool(explained.gates_at_risk)
        moved = [s.id for s in explained.steps[1:]]
        out.findings.append(
            Finding(
                rule_id="schedule.slip_propagation",
                severity=Severity.ERROR if late else Severity.WARNING,
                message=f"{record_id} was re-forecast from {found.earlier} to {found.later}: {explained.summary}.",
                subjects=(
                    ref(structure.kinds[found.node], record_id),
                    *(ref(s.kind, s.id) for s in explained.steps[1:]),
                ),
                values={
                    "from": iso(found.earlier),
                    "to": iso(found.later),
                    "slip_days": found.slip,
                    "moved": moved,
                    "gates_at_risk": [g.release for g in explained.gates_at_risk],
                },
                suggested_action="Re-plan the records it moves, or recover the slip at its source.",
            )
        )
    return out


@detector(
    "delivery_forecast",
    "Ticket-based delivery forecasts: milestones whose P85 date is past their target",
    rules=("forecast.p85_past_target",),
)
def delivery_forecast(ctx: ScanContext) -> DetectorOutput:
    out = DetectorOutput()
    for forecast in ctx.forecast.forecasts:
        if forecast.basis != "tickets" or (forecast.p85 is not None and forecast.p85 <= forecast.target):
            continue
        p85 = forecast.p85.isoformat() if forecast.p85 else "beyond the forecast horizon"
        chance = forecast.probability_on_target or 0.0
        drivers = "; ".join(d.text for d in forecast.drivers)
        out.findings.append(
            Finding(
                rule_id="forecast.p85_past_target",
                severity=Severity.ERROR if chance < 0.5 else Severity.WARNING,
                message=f"{forecast.milestone_id} {forecast.name}: P85 {p85} is past its target {forecast.target} "
                f"(P50 {iso(forecast.p50) or 'beyond the horizon'}, {chance:.0%} chance of meeting the target). "
                f"Drivers: {drivers}.",
                subjects=(ref("milestone", forecast.milestone_id),),
                values={"target": iso(forecast.target), "entered_forecast": iso(forecast.entered_forecast)},
                measures={
                    "p50": iso(forecast.p50),
                    "p85": iso(forecast.p85),
                    "probability_on_target": chance,
                },
                suggested_action="Cut scope or add capacity on the drivers, or re-baseline the target.",
            )
        )
    return out
