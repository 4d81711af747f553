"""Forecast backtest on the bundled sample: for each milestone with linked tickets that is done,
forecast it again as of every Friday from its third week of ticket history to the week before it
finished (tickets, plan and forecasts as they stood that day), and compare P50/P85 and the entered
forecast of that day with the day it really finished. Same functions as a scan, same seed rule."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np

from pilot.domain.program import Milestone, ProgramData
from pilot.domain.schedule import WorkItem
from pilot.evals.corpus import eval_pilot
from pilot.pipeline.demo import DEMO_NOW, sample_program_path, tickets_dir
from pilot.pipeline.ingest import ingest_paths
from pilot.pipeline.programs import get_program, import_program_file
from pilot.pipeline.schedule import load_work_items, schedule_of


def _no_vectors(texts: Sequence[str]) -> Any:
    """The backtest reads tickets, it never searches them: no embedding model is loaded."""
    return np.zeros((len(texts), 384), dtype=np.float32)


def sample_program() -> tuple[ProgramData, list[WorkItem]]:
    """The bundled sample program and its tickets, loaded the way `pilot demo` loads them."""
    with eval_pilot(embedder=_no_vectors) as ev:
        program_id = import_program_file(ev.pilot, sample_program_path()).program_id
        ingest_paths(ev.pilot, program_id, sorted(tickets_dir().glob("*.json")))
        data = get_program(ev.pilot, program_id)
        return data, load_work_items(ev.pilot, program_id, data.program.timezone)


def backtest(data: ProgramData, items: list[WorkItem]) -> list[dict[str, Any]]:
    """Every Friday from the first ticket to the week before each done milestone finished."""
    if not items:
        return []
    first = min(i.created for i in items)
    rows = []
    for milestone in data.milestones:
        if milestone.completed_on is None or not milestone.tickets:
            continue
        day = first + timedelta(days=(4 - first.weekday()) % 7)  # the first Friday
        while day < milestone.completed_on:
            row = _forecast_as_of(data, milestone, items, day)
            if row is not None:
                rows.append(row)
            day += timedelta(days=7)
    return rows


def _business_days(start: date, end: date, holidays: Sequence[date]) -> int:
    """Signed business days from `start` to `end` (a later `end` is positive)."""
    if end < start:
        return -_business_days(end, start, holidays)
    return int(np.busday_count(start + timedelta(days=1), end + timedelta(days=1), holidays=list(holidays)))


def _forecast_as_of(
    data: ProgramData, milestone: Milestone, items: list[WorkItem], day: date
) -> dict[str, Any] | None:
    """The scan's own schedule use case run as of 17:00 on `day` (the seed rule included)."""
    moment = datetime.combine(day, time(17, 0), tzinfo=DEMO_NOW.tzinfo)
    schedule = schedule_of(data, items, moment)
    forecast = next((f for f in schedule.forecasts if f.milestone_id == milestone.id), None)
    if forecast is None or not forecast.linked:
        return None
    actual = milestone.completed_on
    assert actual is not None
    holidays = data.program.holidays
    return {
        "milestone": milestone.id,
        "as_of": day.isoformat(),
        "actual": actual.isoformat(),
        "basis": forecast.basis,
        "p50": forecast.p50.isoformat() if forecast.p50 else None,
        "p85": forecast.p85.isoformat() if forecast.p85 else None,
        "entered": forecast.entered_forecast.isoformat(),
        "within_p85": forecast.p85 is not None and actual <= forecast.p85,
        "within_p50": forecast.p50 is not None and actual <= forecast.p50,
        "p50_error_days": None if forecast.p50 is None else _business_days(forecast.p50, actual, holidays),
        "entered_error_days": _business_days(forecast.entered_forecast, actual, holidays),
        "open_items": forecast.open_items,
    }


def run_forecast_backtest() -> dict[str, Any]:
    data, items = sample_program()
    rows = backtest(data, items)
    scored = [r for r in rows if r["basis"] == "tickets"]

    def mean_abs(key: str) -> float | None:
        values = [abs(r[key]) for r in scored if r[key] is not None]
        return round(sum(values) / len(values), 2) if values else None

    return {
        "suite": "forecast_backtest",
        "forecasts": len(scored),
        "within_p85_share": round(sum(r["within_p85"] for r in scored) / len(scored), 3) if scored else None,
        "within_p50_share": round(sum(r["within_p50"] for r in scored) / len(scored), 3) if scored else None,
        "p50_mean_abs_error_business_days": mean_abs("p50_error_days"),
        "entered_mean_abs_error_business_days": mean_abs("entered_error_days"),
        "rows": rows,
    }
