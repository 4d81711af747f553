"""What a person owes and is owed: a report, the people overview, and the weekly digest."""

from __future__ import annotations

from datetime import datetime

from pilot.chains.owe_digest import DIGEST_FORMATS, groups, render_digest
from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.owe import OweItem, OweReport, PersonLoad
from pilot.domain.program import ProgramData
from pilot.pipeline.context import Pilot
from pilot.rules.owe import find_person, owe_report, people_loads
from pilot.store.programs import load_program


def _program(pilot: Pilot, program_id: str) -> ProgramData:
    with pilot.db.reading() as session:
        return load_program(session, program_id)


def person_report(pilot: Pilot, program_id: str, person: str, *, now: datetime | None = None) -> OweReport:
    """`person` is an id, a name, an alias or an e-mail; an ambiguous one is refused."""
    data = _program(pilot, program_id)
    return owe_report(data, find_person(data, person), now or pilot.now())


def everyone(pilot: Pilot, program_id: str, *, now: datetime | None = None) -> list[OweReport]:
    data = _program(pilot, program_id)
    moment = now or pilot.now()
    return [owe_report(data, p, moment) for p in sorted(data.people, key=lambda p: p.name)]


def people_overview(pilot: Pilot, program_id: str, *, now: datetime | None = None) -> list[PersonLoad]:
    return people_loads(_program(pilot, program_id), now or pilot.now())


def grouped(items: list[OweItem]) -> list[tuple[str, list[OweItem]]]:
    """Overdue, due this week, later and undated, as the page and the digest show them."""
    return groups(items)


def digest(report: OweReport, fmt: str) -> str:
    for known in DIGEST_FORMATS:
        if fmt == known:
            return render_digest(report, known)
    raise PilotError(ErrorCode.INVALID_INPUT, f"format {fmt!r}: use one of {', '.join(DIGEST_FORMATS)}")
