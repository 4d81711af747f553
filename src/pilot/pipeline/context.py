"""What a use case needs at run time: settings and the open database, built once per process."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from pilot.clock import Clock, fixed_clock, system_clock
from pilot.domain.program import ProgramInfo
from pilot.settings import Settings, get_settings
from pilot.store.db import Database, open_database

__all__ = ["Clock", "Pilot", "fixed_clock", "open_pilot", "system_clock"]


@dataclass
class Pilot:
    settings: Settings
    db: Database
    actor: str = "cli"
    clock: Clock = field(default=system_clock)
    # Set by --as-of/--now: every program is read as of this moment, its own as-of setting aside.
    as_of_override: datetime | date | None = None

    def now(self) -> datetime:
        return self.clock()

    def as_of(self, program: ProgramInfo) -> datetime:
        """The moment a program's answers, KPIs and drafts are computed for: the command's --as-of,
        else the program's own as-of date (a frozen demo program), else now. A date means 17:00 in
        the program's time zone, the end of its working day."""
        chosen = self.as_of_override if self.as_of_override is not None else program.as_of
        if chosen is None:
            return self.clock()
        if isinstance(chosen, datetime):
            return chosen
        from pilot.rules.calendar import zone

        return datetime.combine(chosen, time(17, 0), tzinfo=zone(program.timezone))

    def close(self) -> None:
        self.db.dispose()


def open_pilot(
    settings: Settings | None = None,
    *,
    actor: str = "cli",
    clock: Clock | None = None,
    as_of: datetime | date | None = None,
) -> Pilot:
    settings = settings or get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = open_database(settings.resolved_database_url)
    return Pilot(settings=settings, db=db, actor=actor, clock=clock or system_clock, as_of_override=as_of)
