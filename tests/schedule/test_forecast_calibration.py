"""Forecast calibration: ticket histories drawn from a known throughput process, then the same
process run forward for the true completion. Over 1,000 such programs the P85 date must cover the
true completion 80-90% of the time and the P50 date 45-55%."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from pilot.domain.schedule import WorkItem, WorkState
from pilot.rules.forecast import quantile_day, simulate_tickets, ticket_history
from pilot.rules.schedule_graph import Workdays

AS_OF = date(2026, 11, 20)
PROGRAMS = 1_000
SIMULATIONS = 2_000


def _business_days_back(weeks: int) -> list[date]:
    workdays = Workdays(AS_OF - timedelta(weeks=weeks))
    out, offset = [], 1
    while (day := workdays.date_at(offset)) <= AS_OF:
        out.append(day)
        offset += 1
    return out


HISTORY_DAYS = _business_days_back(12)


def known_process(rng: np.random.Generator) -> tuple[list[WorkItem], int]:
    """A team closing Poisson(rate/5) tickets a business day, with Poisson scope growth, observed
    for 12 weeks; returns the tickets and the true business days until the open ones are closed."""
    rate = rng.uniform(2.0, 8.0)
    growth = rng.choice([0.0, 0.25 * rate])
    first = AS_OF - timedelta(weeks=13)
    items: list[WorkItem] = []

    def ticket(created: date, closed: date | None) -> WorkItem:
        state = WorkState.DONE if closed else WorkState.OPEN
        return WorkItem(key=f"T-{len(items)}", source="jira", state=state, created=created, closed=closed)

    for day in HISTORY_DAYS:
        items += [ticket(first, day) for _ in range(rng.poisson(rate / 5))]
        items += [ticket(day, None) for _ in range(rng.poisson(growth / 5))]
    items += [ticket(first, None) for _ in range(int(rng.integers(10, 60)))]
    left = sum(1 for i in items if i.state == WorkState.OPEN)
    days = 0
    while left > 0:
        days += 1
        left += rng.poisson(growth / 5) - rng.poisson(rate / 5)
    return items, days


def coverage(programs: int = PROGRAMS, seed: int = 20261120) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    hits50 = hits85 = 0
    for _ in range(programs):
        items, truth = known_process(rng)
        history = ticket_history(items, AS_OF)
        assert not isinstance(history, str), history
        finish = simulate_tickets(history, SIMULATIONS, rng)
        hits50 += truth <= quantile_day(finish, 0.5)
        hits85 += truth <= quantile_day(finish, 0.85)
    return hits50 / programs, hits85 / programs


def test_p85_covers_80_to_90_percent_and_p50_45_to_55_percent_of_true_completions() -> None:
    p50, p85 = coverage()
    assert 0.80 <= p85 <= 0.90, p85
    assert 0.45 <= p50 <= 0.55, p50
