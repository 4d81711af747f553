"""Slip propagation: when one record's work grows by N business days, what moves downstream and
by how much, given the slack on the way. Pure.

The slipped record's finish moves N business days; each successor starts when its last open
predecessor finishes, so it moves by what is left of the slip after the slack in front of it.
The chain reported is the path, through the predecessor that pushed each record, from the
origin to the furthest record that moves; a release whose go/no-go gate now falls before its
predecessors are done is at risk.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from pilot.domain.program import Milestone, ProgramData
from pilot.domain.schedule import GateRisk, ScheduleResult, SlipPropagation, SlipStep
from pilot.rules.schedule_graph import (
    Cpm,
    PlanState,
    PlanStructure,
    critical_path_method,
    plan_state,
    plan_structure,
    propagate,
    schedule_result,
)


def days(n: int) -> str:
    return f"{n} business day{'' if abs(n) == 1 else 's'}"


def slip_record(data: ProgramData, as_of: date, record_id: str, slip_days: int) -> SlipPropagation:
    """What moves if `record_id` slips `slip_days` business days, on the plan as of `as_of`."""
    structure = plan_structure(data)
    origin = structure.index.get(record_id)
    if origin is None:
        raise KeyError(record_id)
    state = plan_state(structure, as_of)
    return explain_slip(structure, state, critical_path_method(structure, state), origin, slip_days)


def explain_slip(
    structure: PlanStructure, state: PlanState, cpm: Cpm, origin: int, slip: int, *, replan: bool = True
) -> SlipPropagation:
    """`replan=False` skips the re-planned critical path (a full pass): findings do not need it."""
    moved = propagate(structure, state, cpm, origin, slip)
    if origin not in moved:  # done work, or a zero slip: nothing moves
        moved = {}
    offset_of, date_at = state.workdays.offset_of, state.workdays.date_at
    delta = {node: moved[node] - cpm.finish[node] for node in moved}
    steps: dict[int, SlipStep] = {}
    for node in sorted(moved, key=lambda n: structure.position[n]):
        via = None if node == origin else _pushed_by(structure, state, cpm, moved, node)
        target = _target(structure, node)
        steps[node] = SlipStep(
            id=structure.ids[node],
            kind=structure.kinds[node],
            name=_name(structure, node),
            slip_days=delta[node],
            absorbed_days=0 if via is None else delta.get(via, 0) - delta[node],
            via=None if via is None else structure.ids[via],
            old_finish=date_at(cpm.finish[node]),
            new_finish=date_at(moved[node]),
            target=target,
            newly_late=moved[node] > offset_of(target) >= cpm.finish[node],
        )
    chain = _chain(structure, steps, origin)
    gates = _gates_at_risk(structure, state, cpm, moved)
    if replan:
        after = _replan(structure, state, origin, slip)
        end_after, path_after = after.end, [structure.ids[i] for i in after.path]
    else:
        end_after, path_after = max([cpm.end, *moved.values()]), []
    origin_step = steps.get(origin)
    return SlipPropagation(
        origin=structure.ids[origin],
        slip_days=slip,
        steps=list(steps.values()),
        chain=chain,
        absorbed_by=_absorbed_by(structure, state, cpm, moved),
        gates_at_risk=gates,
        finish_before=date_at(cpm.end),
        finish_after=date_at(end_after),
        critical_before=[structure.ids[i] for i in cpm.path],
        critical_after=path_after,
        summary=summarize(structure.ids[origin], slip, chain, gates, origin_step is None, state.done[origin]),
    )


def _target(structure: PlanStructure, node: int) -> date:
    record = structure.records[node]
    return record.target_date if isinstance(record, Milestone) else record.due_date


def _name(structure: PlanStructure, node: int) -> str:
    record = structure.records[node]
    return record.name if isinstance(record, Milestone) else record.deliverable


def _pushed_by(
    structure: PlanStructure, state: PlanState, cpm: Cpm, moved: dict[int, int], node: int
) -> int | None:
    """The open predecessor whose (new) finish sets the node's start; a moved one wins ties."""
    best: int | None = None
    best_key: tuple[int, bool, int] | None = None
    for p in structure.preds[node]:
        if state.done[p]:
            continue
        key = (moved.get(p, cpm.finish[p]), p in moved, -structure.position[p])
        if best_key is None or key > best_key:
            best, best_key = p, key
    return best


def _chain(structure: PlanStructure, steps: dict[int, SlipStep], origin: int) -> list[SlipStep]:
    if not steps:
        return []
    by_id = {s.id: s for s in steps.values()}
    last = max(steps, key=lambda n: (structure.position[n], steps[n].slip_days))
    chain = [steps[last]]
    while chain[-1].via is not None and chain[-1].id != structure.ids[origin]:
        chain.append(by_id[chain[-1].via])
    chain.reverse()
    return chain


def _absorbed_by(structure: PlanStructure, state: PlanState, cpm: Cpm, moved: dict[int, int]) -> list[str]:
    """Successors of moved records that did not move: the slack in front of them took the slip."""
    out: dict[int, int] = {}
    for node in moved:
        for s in structure.succs[node]:
            if state.done[s] or s in moved:
                continue
            gap = cpm.start[s] - cpm.finish[node]
            out[s] = min(out.get(s, gap), gap)
    ordered = sorted(out, key=lambda s: structure.position[s])
    return [f"{structure.ids[s]} ({out[s]} {'day' if out[s] == 1 else 'days'} of slack)" for s in ordered]


def _gates_at_risk(
    structure: PlanStructure, state: PlanState, cpm: Cpm, moved: dict[int, int]
) -> list[GateRisk]:
    risks = []
    for release, gate in sorted(structure.gates.items(), key=lambda g: structure.position[g[0]]):
        if state.done[release]:
            continue
        open_preds = [p for p in structure.preds[release] if not state.done[p]]
        if not any(p in moved for p in open_preds):
            continue
        ready = max(moved.get(p, cpm.finish[p]) for p in open_preds)
        if ready > cpm.start[release] and ready > state.workdays.offset_of(gate):
            risks.append(
                GateRisk(release=structure.ids[release], gate=gate, ready_on=state.workdays.date_at(ready))
            )
    return risks


def _replan(structure: PlanStructure, state: PlanState, origin: int, slip: int) -> Cpm:
    remaining = list(state.remaining)
    remaining[origin] = max(0, remaining[origin] + slip)
    return critical_path_method(structure, replace(state, remaining=remaining))


def summarize(
    origin: str, slip: int, chain: list[SlipStep], gates: list[GateRisk], nothing_moved: bool, done: bool
) -> str:
    """ "DEP-4 slips 5 business days -> M-7 slips 3 (2 days of slack absorbed) -> M-7 go/no-go
    2026-12-01 at risk"."""
    if done:
        return f"{origin} is done: a slip there moves nothing."
    head = f"{origin} slips {days(slip)}"
    if nothing_moved:
        return f"{head}: nothing else moves."
    parts = [head]
    for step in chain[1:]:
        part = f"{step.id} slips {step.slip_days}"
        if step.absorbed_days:
            unit = "day" if step.absorbed_days == 1 else "days"
            part += f" ({step.absorbed_days} {unit} of slack absorbed)"
        parts.append(part)
        if step.newly_late:
            parts.append(f"{step.id} past its target {step.target}")
    parts += [f"{g.release} go/no-go {g.gate} at risk" for g in gates]
    if len(parts) == 1:
        return f"{head}: nothing else moves."
    return " -> ".join(parts)


def slip_schedule(
    data: ProgramData, as_of: date, record_id: str, slip_days: int
) -> tuple[SlipPropagation, ScheduleResult]:
    """The propagation and the whole re-planned schedule (for pages that draw the what-if)."""
    structure = plan_structure(data)
    origin = structure.index[record_id]
    state = plan_state(structure, as_of)
    remaining = list(state.remaining)
    remaining[origin] = max(0, remaining[origin] + slip_days)
    changed = replace(state, remaining=remaining)
    explained = explain_slip(structure, state, critical_path_method(structure, state), origin, slip_days)
    return explained, schedule_result(structure, changed, critical_path_method(structure, changed))
