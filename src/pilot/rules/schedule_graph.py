"""The plan graph and its critical path, as of a day. Pure.

Nodes are the program's milestones and dependencies; a node waits for the records in its
`depends_on`, and a milestone waits for every dependency whose `milestone` is it. Work that is
done (or cancelled) by the day takes no time and holds nothing back.

Remaining duration of open work, in business days:
- `duration_days` when the record gives it (work left once its predecessors are done);
- otherwise the gap its dates allow: from the latest forecast among its open predecessors (or
  the day itself) to its own forecast, at least one business day (open work is not done today).

Forward pass: a node starts when its last open predecessor finishes (or on the day) and finishes
its remaining duration later. The plan ends at the latest finish. Backward pass from that end
gives the latest finish; total float = latest finish - finish, free float = the earliest start
of its successors (or the end) - finish. The critical path is a longest path of remaining work:
the zero-float nodes, reported as one chain from a start to the plan's end.
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.program import Dependency, DependencyStatus, Milestone, MilestoneStatus, ProgramData
from pilot.domain.schedule import DurationSource, NodeKind, NodeSchedule, ScheduleResult
from pilot.rules.calendar import add_business_days, business_days_between

_DONE_MILESTONE = (MilestoneStatus.DONE, MilestoneStatus.CANCELLED)
_DONE_DEPENDENCY = (DependencyStatus.DELIVERED, DependencyStatus.CANCELLED)


class Workdays:
    """Business-day offsets from an origin day, stepped through `rules.calendar` (so whatever it
    treats as a non-working day is skipped here too). Memoised: a plan asks for the same days often."""

    def __init__(self, origin: date, holidays: Sequence[date] = ()) -> None:
        self.origin = origin
        self.holidays = tuple(sorted(holidays))
        self._days = [origin]
        self._offsets: dict[date, int] = {}

    def _reach(self, day: date) -> None:
        while self._days[-1] < day:
            self._days.append(add_business_days(self._days[-1], 1, self.holidays))

    def date_at(self, offset: int) -> date:
        if offset < 0:
            raise ValueError("offsets before the origin have no single date")
        while len(self._days) <= offset:
            self._days.append(add_business_days(self._days[-1], 1, self.holidays))
        return self._days[offset]

    def offset_of(self, day: date) -> int:
        """Business days after the origin up to and including `day` (negative before the origin)."""
        known = self._offsets.get(day)
        if known is not None:
            return known
        if day < self.origin:
            offset = -business_days_between(day, self.origin, self.holidays)
        else:
            self._reach(day)
            offset = bisect_right(self._days, day) - 1
        self._offsets[day] = offset
        return offset


def standing_forecast(record: Milestone | Dependency, day: date) -> date:
    """The forecast that stood on `day`: the entered one once its last re-forecast was made (or when
    it was never re-forecast), else the last re-forecast made by then, else the target."""
    history = sorted(record.forecast_history, key=lambda c: c.changed_on)
    if not history:
        return record.current_forecast
    if day >= history[-1].changed_on:
        return record.forecast_date or history[-1].forecast
    standing = record.target_date if isinstance(record, Milestone) else record.due_date
    for change in history:
        if change.changed_on <= day:
            standing = change.forecast
    return standing


def finished_on(record: Milestone | Dependency) -> date | None:
    return record.completed_on if isinstance(record, Milestone) else record.delivered_on


def is_done(record: Milestone | Dependency, day: date) -> bool:
    """Done (or cancelled) by `day`: a record finished later was still open then."""
    closed = record.status in (_DONE_MILESTONE if isinstance(record, Milestone) else _DONE_DEPENDENCY)
    finished = finished_on(record)
    return closed and (finished is None or finished <= day)


@dataclass(frozen=True)
class PlanStructure:
    """What does not depend on the day: the nodes, their links in topological order."""

    records: list[Milestone | Dependency]
    ids: list[str]
    kinds: list[NodeKind]
    preds: list[list[int]]
    succs: list[list[int]]
    order: list[int]
    position: list[int]  # index in `order`
    index: dict[str, int]
    gates: dict[int, date]  # release milestone -> its go/no-go (first readiness gate)
    closed: list[bool]  # done, delivered or cancelled (by status)
    finished: list[date | None]  # when it was done
    holidays: tuple[date, ...] = ()  # the program's non-working days besides weekends

    @property
    def size(self) -> int:
        return len(self.ids)


def plan_structure(data: ProgramData) -> PlanStructure:
    records: list[Milestone | Dependency] = [*data.milestones, *data.dependencies]
    kinds: list[NodeKind] = ["milestone" if isinstance(r, Milestone) else "dependency" for r in records]
    milestone_at = {m.id: i for i, m in enumerate(data.milestones)}
    ids = [r.id for r in records]
    index: dict[str, int] = {}
    for i, record_id in enumerate(ids):
        index.setdefault(record_id, i)
    preds: list[list[int]] = [[] for _ in records]
    for i, record in enumerate(records):
        for target in record.depends_on:
            at = index.get(target)
            if at is not None and at != i and at not in preds[i]:
                preds[i].append(at)
    for j, dep in enumerate(data.dependencies):
        at = milestone_at.get(dep.milestone or "")
        node = len(data.milestones) + j
        if at is not None and node not in preds[at]:
            preds[at].append(node)
    succs: list[list[int]] = [[] for _ in records]
    for i, incoming in enumerate(preds):
        for p in incoming:
            succs[p].append(i)
    order = _topological_order(preds, succs, ids)
    position = [0] * len(records)
    for at, node in enumerate(order):
        position[node] = at
    gates: dict[int, date] = {}
    for item in data.readiness:
        at = milestone_at.get(item.release)
        if at is not None and (at not in gates or item.gate_date < gates[at]):
            gates[at] = item.gate_date
    closed = [
        r.status in (_DONE_MILESTONE if k == "milestone" else _DONE_DEPENDENCY)
        for r, k in zip(records, kinds, strict=True)
    ]
    finished = [finished_on(r) for r in records]
    return PlanStructure(
        records,
        ids,
        kinds,
        preds,
        succs,
        order,
        position,
        index,
        gates,
        closed,
        finished,
        tuple(data.program.holidays),
    )


def _topological_order(preds: list[list[int]], succs: list[list[int]], ids: list[str]) -> list[int]:
    waiting = [len(p) for p in preds]
    ready = [i for i, n in enumerate(waiting) if n == 0]
    ready.reverse()
    order: list[int] = []
    while ready:
        node = ready.pop()
        order.append(node)
        for s in succs[node]:
            waiting[s] -= 1
            if waiting[s] == 0:
                ready.append(s)
    if len(order) != len(preds):
        stuck = sorted(ids[i] for i, n in enumerate(waiting) if n > 0)
        raise PilotError(
            ErrorCode.INVALID_PROGRAM_FILE,
            f"the plan has a cycle among {', '.join(stuck[:12])}: re-import the program file to see it",
        )
    return order


@dataclass
class PlanState:
    """The plan on one day: which work is done, the forecasts that stood, remaining durations."""

    day: date
    workdays: Workdays
    done: list[bool]
    forecast: list[date]
    remaining: list[int]
    source: list[DurationSource]


def plan_state(structure: PlanStructure, day: date, workdays: Workdays | None = None) -> PlanState:
    days = workdays or Workdays(day, structure.holidays)
    done = [c and (f is None or f <= day) for c, f in zip(structure.closed, structure.finished, strict=True)]
    forecast = [
        standing_forecast(r, day) if r.forecast_history else r.current_forecast for r in structure.records
    ]
    offsets = [days.offset_of(f) for f in forecast]
    remaining = [0] * structure.size
    source: list[DurationSource] = ["done"] * structure.size
    preds = structure.preds
    for i, record in enumerate(structure.records):
        if done[i]:
            continue
        if record.duration_days is not None:
            remaining[i], source[i] = record.duration_days, "duration_days"
            continue
        start = 0
        for p in preds[i]:
            if not done[p] and offsets[p] > start:
                start = offsets[p]
        remaining[i], source[i] = max(1, offsets[i] - start), "dates"
    return PlanState(day, days, done, forecast, remaining, source)


@dataclass
class Cpm:
    """Forward and backward pass results, in business-day offsets from the state's day."""

    start: list[int]
    finish: list[int]
    latest_finish: list[int]
    end: int
    path: list[int] = field(default_factory=list)

    def total_float(self, node: int) -> int:
        return self.latest_finish[node] - self.finish[node]


def forward_pass(
    structure: PlanStructure, done: list[bool], remaining: list[int]
) -> tuple[list[int], list[int]]:
    start = [0] * structure.size
    finish = [0] * structure.size
    preds = structure.preds
    for node in structure.order:
        if done[node]:
            continue
        begin = 0
        for p in preds[node]:
            if not done[p] and finish[p] > begin:
                begin = finish[p]
        start[node] = begin
        finish[node] = begin + remaining[node]
    return start, finish


def critical_path_method(structure: PlanStructure, state: PlanState) -> Cpm:
    done, remaining = state.done, state.remaining
    start, finish = forward_pass(structure, done, remaining)
    end = max((finish[i] for i in range(structure.size) if not done[i]), default=0)
    latest = [end] * structure.size
    for node in reversed(structure.order):
        if done[node]:
            continue
        latest_start = latest[node] - remaining[node]
        for p in structure.preds[node]:
            if not done[p] and latest_start < latest[p]:
                latest[p] = latest_start
    cpm = Cpm(start, finish, latest, end)
    cpm.path = _one_longest_path(structure, done, cpm)
    return cpm


def _one_longest_path(structure: PlanStructure, done: list[bool], cpm: Cpm) -> list[int]:
    """From the last-ordered open node that ends the plan, back through predecessors finishing
    exactly when it starts (ties: the first listed)."""
    ends = [i for i in structure.order if not done[i] and cpm.finish[i] == cpm.end]
    if not ends:
        return []
    node = ends[-1]
    path = [node]
    while True:
        nxt = next(
            (p for p in structure.preds[node] if not done[p] and cpm.finish[p] == cpm.start[node]), None
        )
        if nxt is None:
            break
        path.append(nxt)
        node = nxt
    path.reverse()
    return path


def free_float(structure: PlanStructure, done: list[bool], cpm: Cpm, node: int) -> int:
    starts = [cpm.start[s] for s in structure.succs[node] if not done[s]]
    return (min(starts) if starts else cpm.end) - cpm.finish[node]


def compute_schedule(data: ProgramData, as_of: date) -> ScheduleResult:
    structure = plan_structure(data)
    state = plan_state(structure, as_of)
    return schedule_result(structure, state, critical_path_method(structure, state))


def schedule_result(structure: PlanStructure, state: PlanState, cpm: Cpm) -> ScheduleResult:
    days = state.workdays
    nodes = []
    for i, record in enumerate(structure.records):
        kind = structure.kinds[i]
        target = record.target_date if isinstance(record, Milestone) else record.due_date
        name = record.name if isinstance(record, Milestone) else record.deliverable
        shown = (finished_on(record) or state.forecast[i]) if state.done[i] else state.forecast[i]
        node = NodeSchedule(
            id=record.id,
            kind=kind,
            name=name,
            done=state.done[i],
            depends_on=[structure.ids[p] for p in structure.preds[i]],
            target=target,
            forecast=shown,
            remaining_days=state.remaining[i],
            duration_source=state.source[i],
        )
        if not state.done[i]:
            node.start = days.date_at(cpm.start[i])
            node.finish = days.date_at(cpm.finish[i])
            node.latest_finish = days.date_at(cpm.latest_finish[i])
            node.total_float = cpm.total_float(i)
            node.free_float = free_float(structure, state.done, cpm, i)
            node.target_buffer = days.offset_of(target) - cpm.finish[i]
            node.critical = node.total_float == 0
        nodes.append(node)
    path = [structure.ids[i] for i in cpm.path]
    finish = days.date_at(cpm.end)
    last = path[-1] if path else None
    return ScheduleResult(as_of=state.day, nodes=nodes, critical_path=path, finish=finish, finish_id=last)


def critical_ids(structure: PlanStructure, day: date) -> frozenset[str]:
    """The open records with zero total float on `day`, with the forecasts that stood then."""
    state = plan_state(structure, day)
    return Plan(structure, state, critical_path_method(structure, state)).critical


def propagate(structure: PlanStructure, state: PlanState, cpm: Cpm, origin: int, slip: int) -> dict[int, int]:
    """New finishes of every node that moves when `origin`'s remaining work grows by `slip`
    business days (negative: shrinks), walking only the affected successors in plan order."""
    done, remaining, finish = state.done, state.remaining, cpm.finish
    if done[origin]:
        return {}
    moved = {origin: cpm.start[origin] + max(0, remaining[origin] + slip)}
    if moved[origin] == finish[origin]:
        return {}
    queue = [(structure.position[s], s) for s in structure.succs[origin] if not done[s]]
    heapq.heapify(queue)
    seen: set[int] = set()
    while queue:
        _, node = heapq.heappop(queue)
        if node in seen:
            continue
        seen.add(node)
        begin = 0
        for p in structure.preds[node]:
            if not done[p]:
                begin = max(begin, moved.get(p, finish[p]))
        new_finish = begin + remaining[node]
        if new_finish != finish[node]:
            moved[node] = new_finish
            for s in structure.succs[node]:
                if not done[s] and s not in seen:
                    heapq.heappush(queue, (structure.position[s], s))
    return moved


class Plan:
    """Everything computed about the plan on one day, shared by the detectors of a scan; the
    domain view (`result`) is built only when something asks for it."""

    def __init__(self, structure: PlanStructure, state: PlanState, cpm: Cpm) -> None:
        self.structure, self.state, self.cpm = structure, state, cpm
        self._critical_on: dict[date, frozenset[str]] = {}

    def critical_on(self, day: date) -> frozenset[str]:
        """The critical records as the plan stood on an earlier `day` (replayed once per day)."""
        if day not in self._critical_on:
            self._critical_on[day] = critical_ids(self.structure, day)
        return self._critical_on[day]

    @cached_property
    def result(self) -> ScheduleResult:
        return schedule_result(self.structure, self.state, self.cpm)

    @cached_property
    def critical(self) -> frozenset[str]:
        """Ids of the open records with zero total float."""
        done, cpm = self.state.done, self.cpm
        return frozenset(
            self.structure.ids[i]
            for i in range(self.structure.size)
            if not done[i] and cpm.total_float(i) == 0
        )

    @property
    def path(self) -> list[str]:
        return [self.structure.ids[i] for i in self.cpm.path]

    def finish_date(self, node: int) -> date:
        return self.state.workdays.date_at(self.cpm.finish[node])


def build_plan(data: ProgramData, day: date) -> Plan:
    structure = plan_structure(data)
    state = plan_state(structure, day)
    return Plan(structure, state, critical_path_method(structure, state))
