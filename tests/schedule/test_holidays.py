"""A program's holiday calendar: business days skip its holidays as they skip weekends, in the
calendar functions, the plan's finish dates, decision latency, and through a program file round trip."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from pilot.connectors.program_file import dump_program_yaml, parse_program_yaml
from pilot.pipeline.programs import get_program, save_program_data
from pilot.rules.calendar import add_business_days, business_days_between
from pilot.rules.schedule_graph import build_plan

from .plans import AS_OF, ms, plan

THANKSGIVING = date(2026, 11, 26)  # a Thursday
DAY_AFTER = date(2026, 11, 27)


def _weekdays_after(start: date, end: date, skip: set[date]) -> int:
    """The plain definition: count the weekdays in (start, end] that are not holidays."""
    day, count = start, 0
    while day < end:
        day += timedelta(days=1)
        count += day.weekday() < 5 and day not in skip
    return count


@pytest.mark.parametrize(
    "holidays", [set(), {THANKSGIVING, DAY_AFTER}, {date(2026, 12, 25), date(2027, 1, 1)}]
)
def test_business_days_agree_with_the_plain_definition(holidays: set[date]) -> None:
    start = date(2026, 11, 1)
    for span in range(0, 90):
        end = start + timedelta(days=span)
        assert business_days_between(start, end, holidays) == _weekdays_after(start, end, holidays)
    for count in range(0, 40):
        day = add_business_days(start, count, holidays)
        assert _weekdays_after(start, day, holidays) == count
        assert count == 0 or (day.weekday() < 5 and day not in holidays)


def test_a_week_with_thanksgiving_has_three_business_days() -> None:
    monday = date(2026, 11, 23)
    assert business_days_between(monday - timedelta(days=1), monday + timedelta(days=4)) == 5
    assert (
        business_days_between(
            monday - timedelta(days=1), monday + timedelta(days=4), [THANKSGIVING, DAY_AFTER]
        )
        == 3
    )
    assert add_business_days(date(2026, 11, 25), 1, [THANKSGIVING, DAY_AFTER]) == date(2026, 11, 30)


def test_the_plan_finishes_later_over_the_holidays() -> None:
    milestones = [ms("M-1", days=5), ms("M-2", days=3, after=("M-1",))]
    plain = build_plan(plan(milestones), AS_OF).result
    data = plan(milestones)
    data.program.holidays = [THANKSGIVING, DAY_AFTER]
    shifted = build_plan(data, AS_OF).result
    finish = {n.id: n.finish for n in plain.nodes}
    later = {n.id: n.finish for n in shifted.nodes}
    # Five business days from Friday 2026-11-20: 11-27 without holidays, 12-01 with two of them.
    assert finish["M-1"] == date(2026, 11, 27) and later["M-1"] == date(2026, 12, 1)
    assert later["M-2"] == finish["M-2"] + timedelta(days=2)  # 12-02 -> 12-04


def test_holidays_survive_the_program_file_and_the_database(pilot_ctx: object) -> None:
    raw = b"""program:
  id: cal
  name: Calendar
  holidays: [2026-11-27, 2026-11-26]
"""
    data = parse_program_yaml(raw, source="test")
    assert sorted(data.program.holidays) == [THANKSGIVING, DAY_AFTER]
    save_program_data(pilot_ctx, data, source="test")  # type: ignore[arg-type]
    stored = get_program(pilot_ctx, "cal")  # type: ignore[arg-type]
    assert stored.program.holidays == [THANKSGIVING, DAY_AFTER]
    assert "2026-11-26" in dump_program_yaml(stored)
