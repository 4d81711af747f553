"""The one place pilot reads the wall clock. Everything else is handed a clock (a `Pilot`'s
`now`, a connector's or a job lease's `now` argument), so tests and the demo can fix the time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """Now, aware, in UTC."""
    return datetime.now(UTC)


def fixed_clock(at: datetime) -> Clock:
    """A clock that stays where it is told: the demo and tests run at a known date."""
    return lambda: at
