"""Due-date normalization against the meeting date: a table of phrases people actually say."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from pilot.domain.program import Milestone
from pilot.text.dates import find_due_phrase, meeting_local_date, normalize_due, thanksgiving

MON = date(2026, 11, 16)  # Monday
THU = date(2026, 11, 19)
FRI = date(2026, 11, 20)
SAT = date(2026, 11, 21)
MILESTONES = [
    Milestone(id="M-10", name="Code freeze for cutover wave 1", target_date=date(2026, 12, 1)),
    Milestone(
        id="M-11", name="Cutover wave 1", target_date=date(2026, 12, 3), forecast_date=date(2026, 12, 10)
    ),
    Milestone(id="M-12", name="Cutover wave 2", target_date=date(2027, 1, 20)),
]

CASES = [
    # (phrase, meeting date, expected due, rule)
    ("by Friday", MON, date(2026, 11, 20), "weekday"),
    ("Friday", FRI, date(2026, 11, 27), "weekday"),  # a bare weekday is never the meeting day
    ("Thursday", THU, date(2026, 11, 26), "weekday"),
    ("by Wednesday", MON, date(2026, 11, 18), "weekday"),
    ("Monday morning", MON, date(2026, 11, 23), "weekday"),
    ("by Monday", SAT, date(2026, 11, 23), "weekday"),  # weekend meeting
    ("next Tuesday", MON, date(2026, 11, 24), "next_weekday"),
    ("by next Wednesday", THU, date(2026, 11, 25), "next_weekday"),
    ("this Friday", MON, date(2026, 11, 20), "this_weekday"),
    ("this Monday", THU, date(2026, 11, 23), "weekday"),  # already past this week: the coming one
    ("today", MON, MON, "today"),
    ("by end of day today", MON, MON, "today"),
    ("EOD", FRI, FRI, "today"),
    ("tomorrow", MON, date(2026, 11, 17), "tomorrow"),
    ("by tomorrow end of day", date(2026, 11, 18), date(2026, 11, 19), "tomorrow"),
    ("tomorrow morning", FRI, SAT, "tomorrow"),  # lands on a weekend: kept, flagged by on_weekend
    ("tomorrow", date(2026, 11, 30), date(2026, 12, 1), "tomorrow"),  # month boundary
    ("tomorrow", date(2026, 12, 31), date(2027, 1, 1), "tomorrow"),  # year boundary
    ("EOW", MON, date(2026, 11, 20), "end_of_week"),
    ("end of the week", SAT, date(2026, 11, 27), "end_of_week"),
    ("this week", THU, date(2026, 11, 20), "end_of_week"),
    ("by end of next week", MON, date(2026, 11, 27), "end_of_next_week"),
    ("end of next week", date(2026, 12, 30), date(2027, 1, 8), "end_of_next_week"),
    ("EOM", MON, date(2026, 11, 30), "end_of_month"),
    ("end of the month", date(2027, 2, 3), date(2027, 2, 28), "end_of_month"),
    ("EOM", date(2028, 2, 3), date(2028, 2, 29), "end_of_month"),  # leap year
    ("EOQ", MON, date(2026, 12, 31), "end_of_quarter"),
    ("end of quarter", date(2026, 4, 1), date(2026, 6, 30), "end_of_quarter"),
    ("end of next quarter", MON, date(2027, 3, 31), "end_of_quarter"),
    ("in two weeks", MON, date(2026, 11, 30), "relative_weeks"),
    ("within 3 days", date(2026, 12, 30), date(2027, 1, 2), "relative_days"),
    ("in a month", date(2026, 1, 31), date(2026, 2, 28), "relative_months"),
    ("the 3rd", MON, date(2026, 12, 3), "day_of_month"),
    ("by the 26th", MON, date(2026, 11, 26), "day_of_month"),
    ("Friday the 27th", THU, date(2026, 11, 27), "day_of_month"),
    ("the 31st", date(2026, 11, 5), date(2026, 12, 31), "day_of_month"),  # November has no 31st
    ("Dec 5", MON, date(2026, 12, 5), "month_day"),
    ("on December 15th", THU, date(2026, 12, 15), "month_day"),
    ("Jan 5", MON, date(2027, 1, 5), "month_day"),  # next year
    ("5th of March", MON, date(2027, 3, 5), "month_day"),
    ("2026-11-24", MON, date(2026, 11, 24), "iso_date"),
    ("before Thanksgiving", MON, date(2026, 11, 25), "before_holiday"),
    ("by Christmas", MON, date(2026, 12, 25), "holiday"),
    ("before the code freeze", MON, date(2026, 11, 30), "before_milestone"),
    ("by the code freeze", MON, date(2026, 12, 1), "milestone"),
    ("before the freeze", THU, date(2026, 11, 30), "before_milestone"),
    ("by M-11", MON, date(2026, 12, 10), "milestone"),  # the milestone's forecast, not its target
    ("next meeting", MON, None, "unresolved"),
    ("soon", MON, None, "unresolved"),
    ("before the cutover", MON, None, "ambiguous_milestone"),
]


@pytest.mark.parametrize(("phrase", "meeting", "expected", "rule"), CASES)
def test_normalize_due(phrase: str, meeting: date, expected: date | None, rule: str) -> None:
    result = normalize_due(phrase, meeting=meeting, timezone="America/Los_Angeles", milestones=MILESTONES)
    assert result is not None
    assert (result.due, result.rule) == (expected, rule)


def test_ambiguous_milestone_keeps_candidates() -> None:
    result = normalize_due("before the cutover", meeting=MON, milestones=MILESTONES)
    assert result is not None and result.milestone_candidates == ("M-10", "M-11", "M-12")


def test_milestone_id_recorded() -> None:
    result = normalize_due("before the code freeze", meeting=MON, milestones=MILESTONES)
    assert result is not None and result.milestone_id == "M-10"


def test_weekend_flag() -> None:
    result = normalize_due("tomorrow", meeting=FRI)
    assert result is not None and result.on_weekend
    weekday = normalize_due("tomorrow", meeting=MON)
    assert weekday is not None and not weekday.on_weekend


@pytest.mark.parametrize(
    ("meeting", "tz", "expected"),
    [
        # 02:00 UTC on the 17th is still the afternoon of the 16th in Los Angeles.
        (datetime(2026, 11, 17, 2, 0, tzinfo=UTC), "America/Los_Angeles", date(2026, 11, 17)),
        # 23:30 UTC on the 16th is already the 17th in Tokyo: "tomorrow" is the 18th.
        (datetime(2026, 11, 16, 23, 30, tzinfo=UTC), "Asia/Tokyo", date(2026, 11, 18)),
        (datetime(2026, 12, 31, 20, 0, tzinfo=UTC), "Pacific/Auckland", date(2027, 1, 2)),
        (datetime(2026, 11, 16, 9, 0), "Asia/Tokyo", date(2026, 11, 17)),  # naive: already local
    ],
)
def test_tomorrow_in_the_meeting_time_zone(meeting: datetime, tz: str, expected: date) -> None:
    result = normalize_due("tomorrow", meeting=meeting, timezone=tz)
    assert result is not None and result.due == expected


def test_meeting_local_date_unknown_zone_falls_back_to_utc() -> None:
    assert meeting_local_date(datetime(2026, 11, 17, 2, tzinfo=UTC), "Nowhere/Nothing") == date(2026, 11, 17)


def test_no_phrase_is_none() -> None:
    assert normalize_due(None, meeting=MON) is None
    assert normalize_due("  ", meeting=MON) is None


def test_thanksgiving_is_fourth_thursday() -> None:
    assert thanksgiving(2026) == date(2026, 11, 26)
    assert thanksgiving(2027) == date(2027, 11, 25)


@pytest.mark.parametrize(
    ("sentence", "phrase"),
    [
        ("I'll have the rollback runbook done by Friday.", "by Friday"),
        ("I'll pair with Nora on the refund join tomorrow morning.", "tomorrow morning"),
        ("Can you send me the plan by end of next week?", "by end of next week"),
        ("Jordan will fix it before the code freeze.", "before the code freeze"),
        ("We'll run the capacity test on December 15th.", "on December 15th"),
        ("I'll look into the costs.", None),
    ],
)
def test_find_due_phrase(sentence: str, phrase: str | None) -> None:
    assert find_due_phrase(sentence) == phrase
