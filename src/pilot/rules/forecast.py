"""Delivery forecasts with confidence: a Monte Carlo over the team's own ticket flow. Pure: the
random generator is passed in, so a seed gives the same forecast every time.

For a milestone with linked tickets (`Milestone.tickets`):
- history: the last `weeks` full weeks up to the as-of day (fewer when the linked work is younger),
  counting per week the linked tickets closed and the tickets added after the first week of the
  linked work (scope growth; the first week's tickets are the plan, not growth);
- remaining scope: the linked tickets still open;
- each trial first redraws the history it samples from (a bootstrap of the weeks, so a short or
  uneven history widens the range instead of passing for certainty), then draws weeks from it,
  adding that week's growth and closing that week's throughput, until nothing is open; the last
  week's closures fall at uniform moments of its five business days;
- the milestone lands when its tickets are closed and every open predecessor in the plan graph
  has finished (predecessors with tickets are simulated the same way, the others finish when the
  computed schedule says).
P50 and P85 are the business days by which half and 85% of the trials are done; the probability
of meeting the target is the share of trials done by then. Without linked tickets, without three
weeks of history, or without a closed ticket in it, the forecast says so and the entered forecast
stands.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from pilot.domain.program import Milestone
from pilot.domain.schedule import ForecastDriver, MilestoneForecast, WorkItem, WorkState
from pilot.rules.schedule_graph import Cpm, Plan, PlanState, PlanStructure

TRIALS = 10_000
HISTORY_WEEKS = 12
MIN_HISTORY_WEEKS = 3
HORIZON_WEEKS = 156
CHUNK_WEEKS = 26
WEEK_DAYS = 5
NEVER = HORIZON_WEEKS * WEEK_DAYS + 1  # a trial not done within the horizon


class TicketIndex:
    """The program's tickets by key, parent, label and GitHub milestone (built once per forecast)."""

    def __init__(self, items: list[WorkItem]) -> None:
        self.items = items
        self.by_key = {i.key: i for i in items}
        self.children: dict[str, list[str]] = {}
        self.by_label: dict[str, list[str]] = {}
        self.by_milestone: dict[str, list[str]] = {}
        for item in items:
            if item.parent:
                self.children.setdefault(item.parent, []).append(item.key)
            for label in item.labels:
                self.by_label.setdefault(label, []).append(item.key)
            if item.milestone:
                self.by_milestone.setdefault(item.milestone, []).append(item.key)


def linked_items(milestone: Milestone, tickets: TicketIndex | list[WorkItem]) -> list[WorkItem]:
    """The tickets a milestone's `tickets` selectors name: an issue key brings its children (and
    theirs, even when the epic itself is not among the tickets), "label:x" every ticket with that
    label, "milestone:x" every ticket in that GitHub milestone."""
    index = tickets if isinstance(tickets, TicketIndex) else TicketIndex(tickets)
    chosen: set[str] = set()
    frontier: list[str] = []
    for selector in milestone.tickets:
        if selector.startswith("label:"):
            chosen.update(index.by_label.get(selector.removeprefix("label:"), []))
        elif selector.startswith("milestone:"):
            chosen.update(index.by_milestone.get(selector.removeprefix("milestone:"), []))
        else:
            frontier.append(selector)
            if selector in index.by_key:
                chosen.add(selector)
    frontier += list(chosen)
    while frontier:
        for child in index.children.get(frontier.pop(), []):
            if child not in chosen:
                chosen.add(child)
                frontier.append(child)
    return [index.by_key[key] for key in sorted(chosen)]


@dataclass(frozen=True)
class TicketHistory:
    closed: np.ndarray  # tickets closed per week, oldest week first
    added: np.ndarray  # tickets added per week (scope growth)
    open_items: int
    counted: tuple[str, ...]

    @property
    def weeks(self) -> int:
        return len(self.closed)


def ticket_history(items: list[WorkItem], as_of: date, weeks: int = HISTORY_WEEKS) -> TicketHistory | str:
    """The weekly history of the counted tickets (epics and dropped tickets are not counted), or
    why there is not enough of it."""
    counted = [i for i in items if not i.container and i.state != WorkState.DROPPED and i.created <= as_of]
    if not counted:
        return "no linked tickets"
    first = min(i.created for i in counted)
    span = min(weeks, (as_of - first).days // 7)
    if span < MIN_HISTORY_WEEKS:
        return f"{span} weeks of ticket history ({MIN_HISTORY_WEEKS} needed)"
    closed = np.zeros(span, dtype=np.int64)
    added = np.zeros(span, dtype=np.int64)
    open_items = 0
    for item in counted:
        if item.closed is not None and item.closed <= as_of:
            week = _week_of(item.closed, as_of, span)
            if week is not None:
                closed[week] += 1
        elif item.state == WorkState.OPEN or item.closed is not None:  # open, or closed after the day
            open_items += 1
        # (done without a closing date: neither open nor in the throughput)
        week = _week_of(item.created, as_of, span)
        if week is not None and item.created > first + timedelta(days=6):
            added[week] += 1
    if closed.sum() == 0:
        return f"no linked ticket closed in the last {span} weeks"
    return TicketHistory(closed, added, open_items, tuple(sorted(i.key for i in counted)))


def _week_of(day: date, as_of: date, span: int) -> int | None:
    """0 for the oldest week of the window, span - 1 for the week ending on the as-of day."""
    back = (as_of - day).days
    if back < 0 or back >= 7 * span:
        return None
    return span - 1 - back // 7


def simulate_tickets(history: TicketHistory, trials: int, rng: np.random.Generator) -> np.ndarray:
    """Business days from the as-of day until each trial's open tickets are closed (NEVER when not
    within the horizon)."""
    finish = np.full(trials, NEVER, dtype=np.int64)
    if history.open_items == 0:
        return np.zeros(trials, dtype=np.int64)
    n = history.weeks
    replica = rng.integers(0, n, size=(trials, n), dtype=np.int16)  # each trial's own redraw of the history
    closed_of, added_of = history.closed.astype(np.int32), history.added.astype(np.int32)
    carry = np.full(trials, history.open_items, dtype=np.int32)
    live = np.arange(trials)
    net = max(float(history.closed.mean() - history.added.mean()), 0.25)
    span = int(
        min(CHUNK_WEEKS, max(4, 2.5 * history.open_items / net + 4))
    )  # most trials land in the first chunk
    base = 0
    while base < HORIZON_WEEKS and live.size:
        span = min(span, HORIZON_WEEKS - base)
        weeks = np.take_along_axis(
            replica[live], rng.integers(0, n, size=(len(live), span), dtype=np.int16), axis=1
        )
        closed, added = closed_of[weeks], added_of[weeks]
        left = carry[live, None] + np.cumsum(added - closed, axis=1)
        # Tickets added in the week the work lands arrive at uniform moments too: each came
        # before the last close with even odds (drawn only where it decides the week).
        lower = left - added
        early = np.zeros_like(added)
        open_question = (lower <= 0) & (left > 0)
        early[open_question] = rng.binomial(added[open_question], 0.5)
        done = lower + early <= 0
        landed = done.any(axis=1)
        week = done.argmax(axis=1)
        rows = np.nonzero(landed)[0]
        if rows.size:
            w = week[rows]
            before = np.where(w > 0, left[rows, np.maximum(w - 1, 0)], carry[live[rows]])
            need = before + early[rows, w]
            # The week's closures fall at uniform moments of it: the needed one is their
            # need-th order statistic, Beta(need, closed - need + 1) of the week.
            moment = rng.beta(need, closed[rows, w] - need + 1)
            day = np.ceil(WEEK_DAYS * moment).clip(1, WEEK_DAYS)
            finish[live[rows]] = (base + w) * WEEK_DAYS + day.astype(np.int64)
        carry[live] = left[:, -1]
        live = live[~landed]
        base += span
        span = CHUNK_WEEKS
    return finish


def quantile_day(samples: np.ndarray, share: float) -> int:
    """The business day whose share of trials done by then is nearest `share` (the later day on a
    tie). Trials land on whole days, so "the first day with at least half done" would overstate
    P50 by half the trials landing on that day; the nearest day does not."""
    days, counts = np.unique(samples, return_counts=True)
    done = np.cumsum(counts) / len(samples)
    gap = np.abs(done - share)
    return int(days[len(gap) - 1 - int(np.argmin(gap[::-1]))])


@dataclass
class PlanForecast:
    forecasts: list[MilestoneForecast]
    samples: dict[int, np.ndarray]  # node -> business-day finish per trial, for stochastic nodes


def forecast_plan(
    structure: PlanStructure,
    state: PlanState,
    cpm: Cpm,
    items: list[WorkItem],
    rng: np.random.Generator,
    *,
    trials: int = TRIALS,
    weeks: int = HISTORY_WEEKS,
    every_milestone: bool = True,
) -> PlanForecast:
    """Forecasts for the open milestones: from tickets where they have them, else the entered date
    and why (for every open milestone, or with `every_milestone=False` only those that name tickets)."""
    histories: dict[int, TicketHistory | str] = {}
    index = TicketIndex(items)
    for node, record in enumerate(structure.records):
        if isinstance(record, Milestone) and not state.done[node] and (every_milestone or record.tickets):
            linked = linked_items(record, index) if record.tickets else []
            histories[node] = ticket_history(linked, state.day, weeks) if linked else "no linked tickets"
    own = {n: simulate_tickets(h, trials, rng) for n, h in histories.items() if isinstance(h, TicketHistory)}
    samples: dict[int, np.ndarray] = {}
    binding: dict[int, dict[str, float]] = {}
    for node in structure.order if own else ():
        if state.done[node]:
            continue
        preds = [p for p in structure.preds[node] if not state.done[p]]
        if node not in own and not any(p in samples for p in preds):
            continue
        starts = np.stack([samples.get(p, np.full(trials, cpm.finish[p])) for p in preds]) if preds else None
        start = starts.max(axis=0) if starts is not None else np.zeros(trials, dtype=np.int64)
        if node in own:
            samples[node] = np.maximum(own[node], start)
            binding[node] = _binding(structure, preds, starts, own[node])
        else:
            samples[node] = np.minimum(start + state.remaining[node], NEVER)
    out = []
    for node, history in histories.items():
        if isinstance(history, TicketHistory):
            out.append(_forecast(structure, state, node, history, samples[node], binding[node]))
        else:
            out.append(_entered(structure, state, node, history))
    return PlanForecast(out, samples)


def _binding(
    structure: PlanStructure, preds: list[int], starts: np.ndarray | None, own: np.ndarray
) -> dict[str, float]:
    """The share of trials in which each open predecessor (or the milestone's own tickets) set the date."""
    if starts is None:
        return {"": 1.0}
    later = starts.max(axis=0) > own
    shares = {"": float(1 - later.mean())}
    winner = starts.argmax(axis=0)
    for at, p in enumerate(preds):
        share = float((later & (winner == at)).mean())
        if share > 0:
            shares[structure.ids[p]] = share
    return shares


def _entered(structure: PlanStructure, state: PlanState, node: int, reason: str) -> MilestoneForecast:
    record = structure.records[node]
    assert isinstance(record, Milestone)
    return MilestoneForecast(
        milestone_id=record.id,
        name=record.name,
        basis="entered",
        reason=f"{reason}: the entered forecast stands",
        target=record.target_date,
        entered_forecast=state.forecast[node],
    )


def _forecast(
    structure: PlanStructure,
    state: PlanState,
    node: int,
    history: TicketHistory,
    finish: np.ndarray,
    binding: dict[str, float],
) -> MilestoneForecast:
    record = structure.records[node]
    assert isinstance(record, Milestone)
    days = state.workdays
    done_by_target = finish <= days.offset_of(record.target_date)
    p50, p85 = quantile_day(finish, 0.5), quantile_day(finish, 0.85)
    weeks = history.weeks
    rate = float(history.closed.mean())
    growth = float(history.added.mean())
    drivers = [
        ForecastDriver(
            kind="throughput",
            text=f"{int(history.closed.sum())} linked tickets closed in the last "
            f"{weeks} weeks ({rate:.1f} a week)",
        ),
        ForecastDriver(kind="scope", text=f"{history.open_items} linked tickets open"),
    ]
    if growth > 0:
        drivers.append(ForecastDriver(kind="growth", text=f"scope grew {growth:.1f} tickets a week"))
    for who, share in sorted(binding.items(), key=lambda kv: -kv[1]):
        if share >= 0.05:
            text = (
                f"its own tickets set the date in {share:.0%} of trials"
                if not who
                else f"waiting for {who} sets the date in {share:.0%} of trials"
            )
            drivers.append(
                ForecastDriver(kind="predecessor" if who else "history", text=text, share=round(share, 3))
            )
    return MilestoneForecast(
        milestone_id=record.id,
        name=record.name,
        basis="tickets",
        target=record.target_date,
        entered_forecast=state.forecast[node],
        p50=None if p50 >= NEVER else days.date_at(p50),
        p85=None if p85 >= NEVER else days.date_at(p85),
        probability_on_target=round(float(done_by_target.mean()), 3),
        open_items=history.open_items,
        closed_items=int(history.closed.sum()),
        history_weeks=weeks,
        throughput_per_week=round(rate, 2),
        growth_per_week=round(growth, 2),
        trials=len(finish),
        beyond_horizon=round(float((finish >= NEVER).mean()), 4),
        drivers=drivers,
        linked=list(history.counted),
    )


def forecast_program(
    plan: Plan,
    items: list[WorkItem],
    *,
    seed: int = 0,
    weeks: int = HISTORY_WEEKS,
    trials: int = TRIALS,
    every_milestone: bool = True,
) -> PlanForecast:
    rng = np.random.default_rng(seed)
    return forecast_plan(
        plan.structure,
        plan.state,
        plan.cpm,
        items,
        rng,
        trials=trials,
        weeks=weeks,
        every_milestone=every_milestone,
    )
