"""Schedule intelligence for a program: the computed plan, delivery forecasts from the program's
tickets, and what moves when something slips (read-only: nothing here changes program data)."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy.orm import Session

from pilot.connectors.jira import parse_time
from pilot.domain.documents import Document, DocumentKind
from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.program import ProgramData
from pilot.domain.schedule import MilestoneForecast, ScheduleResult, SlipPropagation, WorkItem, WorkState
from pilot.pipeline.context import Pilot
from pilot.rules.calendar import local_date, zone
from pilot.rules.forecast import forecast_program
from pilot.rules.schedule_graph import build_plan
from pilot.rules.slips import slip_schedule
from pilot.rules.thresholds import thresholds_for
from pilot.store.documents import list_document_rows, to_document
from pilot.store.programs import load_program

_DONE_STATUSES = frozenset({"done", "closed", "resolved", "released", "complete", "completed"})
_DROPPED_RESOLUTIONS = frozenset({"won't do", "won't fix", "duplicate", "cannot reproduce", "declined"})


def work_item(doc: Document, tz: ZoneInfo) -> WorkItem | None:
    """A ticket document as the forecasts read it; None for what is no ticket (or a pull request)."""
    meta = doc.metadata
    if doc.kind != DocumentKind.TICKET or doc.created_at is None or meta.get("is_pull_request"):
        return None
    if doc.source == "github":
        closed_at, finished = meta.get("closed"), meta.get("state") == "closed"
        dropped = meta.get("status") == "not_planned"
    else:
        closed_at = meta.get("resolved")
        category = str(meta.get("status_category") or "")
        finished = category == "done" or (
            not category and str(meta.get("status", "")).lower() in _DONE_STATUSES
        )
        dropped = str(meta.get("resolution") or "").lower() in _DROPPED_RESOLUTIONS
    state = (WorkState.DROPPED if dropped else WorkState.DONE) if finished else WorkState.OPEN
    closed = _day(closed_at, tz) if finished else None
    labels = meta.get("labels")
    return WorkItem(
        key=doc.external_id,
        source=doc.source,
        title=doc.title,
        url=doc.url,
        state=state,
        created=local_date(doc.created_at, tz),
        closed=closed,
        parent=_text(meta.get("parent")),
        labels=[str(label) for label in labels] if isinstance(labels, list) else [],
        milestone=_text(meta.get("milestone")),
        container=str(meta.get("issue_type") or "").lower() == "epic",
    )


def _text(value: object) -> str | None:
    return None if value in (None, "") else str(value)


def _day(value: object, tz: ZoneInfo) -> date | None:
    if not isinstance(value, str) or not value:
        return None
    parsed = parse_time(value)
    return None if parsed is None else local_date(parsed, tz)


def work_items(documents: list[Document], timezone: str) -> list[WorkItem]:
    tz = zone(timezone)
    return [item for doc in documents if (item := work_item(doc, tz)) is not None]


def stored_work_items(session: Session, program_id: str, timezone: str) -> list[WorkItem]:
    """The program's tickets in the store (deleted ones are gone from it)."""
    rows = list_document_rows(session, program_id)
    return work_items([to_document(row) for row in rows if row.kind == DocumentKind.TICKET.value], timezone)


def load_work_items(pilot: Pilot, program_id: str, timezone: str) -> list[WorkItem]:
    with pilot.db.reading() as session:
        return stored_work_items(session, program_id, timezone)


def forecast_seed(program_id: str) -> int:
    """The forecasts' seed: fixed per program, so a re-scan of unchanged data gives the same dates."""
    return int.from_bytes(hashlib.sha256(program_id.encode()).digest()[:4], "big")


class ProgramSchedule(BaseModel):
    program_id: str
    as_of: date
    schedule: ScheduleResult
    forecasts: list[MilestoneForecast]
    what_if: SlipPropagation | None = None
    what_if_schedule: ScheduleResult | None = None


def program_schedule(
    pilot: Pilot, program_id: str, *, now: datetime | None = None, slip: tuple[str, int] | None = None
) -> ProgramSchedule:
    """The plan as of the program's as-of moment (see `Pilot.as_of`) with its forecasts; with `slip` (record id, business days), also what
    that slip would move, computed on a copy: program data is not changed."""
    with pilot.db.reading() as session:
        data = load_program(session, program_id)
        items = stored_work_items(session, program_id, data.program.timezone)
    return schedule_of(data, items, now or pilot.as_of(data.program), slip=slip)


def schedule_of(
    data: ProgramData, items: list[WorkItem], now: datetime, *, slip: tuple[str, int] | None = None
) -> ProgramSchedule:
    today = local_date(now, zone(data.program.timezone))
    plan = build_plan(data, today)
    weeks = int(thresholds_for(data.program)[0].throughput_history_weeks)
    forecast = forecast_program(plan, items, seed=forecast_seed(data.program.id), weeks=weeks)
    out = ProgramSchedule(
        program_id=data.program.id, as_of=today, schedule=plan.result, forecasts=forecast.forecasts
    )
    if slip is not None:
        if slip[0] not in plan.structure.index:
            raise PilotError(
                ErrorCode.INVALID_INPUT, f"{slip[0]!r} is no milestone or dependency of {data.program.id}"
            )
        out.what_if, out.what_if_schedule = slip_schedule(data, today, slip[0], slip[1])
    return out
