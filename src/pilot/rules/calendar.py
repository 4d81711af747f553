"""Calendar arithmetic the detectors share: program-local dates and business days.

Pure functions; "today" is always the program-local date of the `now` the caller passes, so a
scan at 23:30 UTC of a Los Angeles program counts the Los Angeles day, not the next UTC day.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_date(moment: datetime, tz: ZoneInfo) -> date:
    """The calendar day of `moment` in the program's time zone (naive means already local)."""
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(tz).date()


def business_days_between(start: date, end: date) -> int:
    """Weekdays after `start` up to and including `end` (Mon asked, next Mon decided = 5).

    Negative spans count 0. Weekends never count, so a question asked on Friday and answered
    on Monday took one business day.
    """
    if end <= start:
        return 0
    days = (end - start).days
    full_weeks, rest = divmod(days, 7)
    count = full_weeks * 5
    weekday = start.weekday()
    for offset in range(1, rest + 1):
        if (weekday + offset) % 7 < 5:
            count += 1
    return count


def add_business_days(start: date, count: int) -> date:
    """The date `count` business days after `start` (the deadline a latency threshold sets)."""
    day = start
    remaining = count
    while remaining > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            remaining -= 1
    return day


def hours_between(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600.0


def median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2
