"""What a use case needs at run time: settings and the open database, built once per process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pilot.settings import Settings, get_settings
from pilot.store.db import Database, open_database

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def fixed_clock(at: datetime) -> Clock:
    """A clock that stays where it is told: the demo and tests run at a known date."""
    return lambda: at


@dataclass
class Pilot:
    settings: Settings
    db: Database
    actor: str = "cli"
    clock: Clock = field(default=system_clock)

    def now(self) -> datetime:
        return self.clock()

    def close(self) -> None:
        self.db.dispose()


def open_pilot(settings: Settings | None = None, *, actor: str = "cli", clock: Clock | None = None) -> Pilot:
    settings = settings or get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = open_database(settings.resolved_database_url)
    return Pilot(settings=settings, db=db, actor=actor, clock=clock or system_clock)
