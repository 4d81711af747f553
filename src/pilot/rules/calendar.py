"""Calendar arithmetic the detectors share: program-local dates and business days (weekdays
that are not one of the program's `holidays`).

Pure functions; "today" is always the program-local date of the `now` the caller passes, so a
scan at 23:30 UTC of a Los Angeles program counts the Los Angeles day, not the next UTC day.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

_ONE_DAY = timedelta(days=1)


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


def business_days_between(start: date, end: date, holidays: Iterable[date] = ()) -> int:
    """Business days after `start` up to and including `end` (Mon asked, next Mon decided = 5).

    Negative spans count 0. Weekends and the program's holidays never count, so a question asked
    on Friday and answered on Monday took one business day.
    """
    if end <= start:
        return 0
    return int(np.busday_count(start + _ONE_DAY, end + _ONE_DAY, holidays=sorted(holidays)))


def add_business_days(start: date, count: int, holidays: Iterable[date] = ()) -> date:
    """The date `count` business days after `start` (the deadline a latency threshold sets);
    weekends and the program's holidays are skipped."""
    if count <= 0:
        return start
    day = np.busday_offset(start, count, roll="backward", holidays=sorted(holidays))
    return date.fromisoformat(str(day))


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
