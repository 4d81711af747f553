"""One record of a program, whole: its fields (references to people, teams and other records kept
as references so a page can link them), its history (forecast changes, when it was opened,
progressed, decided or closed), the records linked to it, the documents it came from or that
mention it, and the audit events about it; all as of the program's as-of date."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select

from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.program import COLLECTIONS, ProgramData, ref
from pilot.domain.urls import web_url
from pilot.pipeline.context import Pilot
from pilot.rules.calendar import local_date, zone
from pilot.rules.record_views import NOUNS, RecordView, record_views
from pilot.store.audit import list_events
from pilot.store.programs import load_program
from pilot.store.tables import DocumentRow

_REFERENCE_FIELDS = {
    "owner": "person",
    "decider": "person",
    "lead": "person",
    "team": "team",
    "provider_team": "team",
    "consumer_team": "team",
    "milestone": "milestone",
    "release": "milestone",
    "incident": "incident",
}


@dataclass
class FieldValue:
    name: str
    value: str
    ref: str | None = None  # a record this value names, for a link
    href: str | None = None  # a web link the value is (a postmortem), http(s) only


@dataclass
class RecordPage:
    program_id: str
    ref: str
    kind: str
    id: str
    title: str
    as_of: date
    fields: list[FieldValue]
    history: list[tuple[str, str]] = field(default_factory=list)  # (date, what happened)
    linked: list[RecordView] = field(default_factory=list)
    documents: list[tuple[int, str, str]] = field(default_factory=list)  # (row id, title, why)
    events: list[dict[str, Any]] = field(default_factory=list)
    state: str = ""


def program_as_of(pilot: Pilot, program_id: str) -> datetime:
    """The moment the program is read as of (its own as-of date, a command's --as-of, or now)."""
    with pilot.db.reading() as session:
        return pilot.as_of(load_program(session, program_id).program)


def record_page(pilot: Pilot, program_id: str, record_type: str, record_id: str) -> RecordPage:
    with pilot.db.reading() as session:
        data = load_program(session, program_id)
        record = _find(data, record_type, record_id)
        events = [
            e
            for e in list_events(session, program_id=program_id, limit=1000)
            if _about(e, record_type, record_id)
        ]
        documents = _documents(session, program_id, record_id, getattr(record, "source_document", None))
    today = local_date(pilot.as_of(data.program), zone(data.program.timezone))
    key = ref(record_type, record_id)
    view = next((v for v in record_views(data) if v.ref == key), None)
    names = {p.id: p.name for p in data.people}
    page = RecordPage(
        program_id=program_id,
        ref=key,
        kind=NOUNS.get(view.kind, (record_type,))[0] if view else record_type,
        id=record_id,
        title=view.title if view else getattr(record, "name", record_id),
        as_of=today,
        fields=_fields(record, names),
        documents=documents,
        events=[e.model_dump(mode="json") for e in events],
    )
    if view is not None:
        page.state = _state(view, today)
        page.history = _history(view, record)
        page.linked = [v for v in record_views(data) if v.ref != key and _linked(v, view)]
    return page


def _find(data: ProgramData, record_type: str, record_id: str) -> BaseModel:
    collection = next((c for c, t in COLLECTIONS.items() if t == record_type), None)
    if collection is None:
        raise PilotError(ErrorCode.NOT_FOUND, f"no record type {record_type!r}")
    found = next((r for r in getattr(data, collection) if r.id == record_id), None)
    if found is None:
        raise PilotError(
            ErrorCode.NOT_FOUND, f"{record_type} {record_id!r} not found in program {data.program.id!r}"
        )
    return found  # type: ignore[no-any-return]


def _fields(record: BaseModel, names: dict[str, str]) -> list[FieldValue]:
    values: list[FieldValue] = []
    for name, value in record.model_dump(mode="json").items():
        if value in (None, [], "", {}) or name in ("id", "forecast_history"):
            continue
        target = _REFERENCE_FIELDS.get(name)
        if target == "person":
            values.append(FieldValue(name, names.get(str(value), str(value)), ref("person", str(value))))
        elif target:
            values.append(FieldValue(name, str(value), ref(target, str(value))))
        elif isinstance(value, list):
            values.append(FieldValue(name, "; ".join(str(v) for v in value)))
        elif name.endswith("url"):
            values.append(FieldValue(name, str(value), href=web_url(value)))
        else:
            values.append(FieldValue(name, str(value)))
    return values


def _state(view: RecordView, today: date) -> str:
    if view.is_open and view.due and view.due < today:
        return f"{view.status.replace('_', ' ')}, overdue: {view.due_label} {view.due} passed"
    if view.slipped:
        return f"{view.status.replace('_', ' ')}, slipped: forecast {view.due} after target {view.target}"
    return view.status.replace("_", " ")


def _history(view: RecordView, record: BaseModel) -> list[tuple[str, str]]:
    events: list[tuple[str, str]] = []
    if view.created:
        events.append((view.created.isoformat(), "opened" if view.kind != "decision" else "requested"))
    for change in getattr(record, "forecast_history", []):
        reason = f" ({change.reason})" if change.reason else ""
        events.append((change.changed_on.isoformat(), f"re-forecast to {change.forecast}{reason}"))
    if view.progress and view.progress != view.created:
        events.append((view.progress.isoformat(), "last progress"))
    if view.completed:
        events.append((view.completed.isoformat(), "decided" if view.kind == "decision" else "finished"))
    return sorted(events)


def _linked(other: RecordView, view: RecordView) -> bool:
    if view.kind == "milestone":
        return other.milestone == view.id
    return bool(view.milestone and other.kind == "milestone" and other.id == view.milestone)


def _about(event: Any, record_type: str, record_id: str) -> bool:
    key = ref(record_type, record_id)
    if event.subject == key:
        return True
    body = json.dumps([event.before, event.after])
    return key in body or f'"id": "{record_id}"' in body


def _documents(
    session: Any, program_id: str, record_id: str, source: str | None
) -> list[tuple[int, str, str]]:
    rows = session.execute(
        select(DocumentRow.id, DocumentRow.title, DocumentRow.source, DocumentRow.external_id)
        .where(
            DocumentRow.program_id == program_id,
            DocumentRow.deleted_at.is_(None),
            DocumentRow.text.contains(record_id),
        )
        .limit(20)
    ).all()
    found = [(r.id, r.title or r.external_id, "mentions it") for r in rows]
    if source:
        origin = session.execute(
            select(DocumentRow.id, DocumentRow.title).where(
                DocumentRow.program_id == program_id,
                DocumentRow.deleted_at.is_(None),
                (DocumentRow.external_id == source) | (DocumentRow.title == source),
            )
        ).first()
        if origin:
            found.insert(0, (origin.id, origin.title, "source document"))
    return found


def record_titles(pilot: Pilot, program_id: str) -> dict[str, str]:
    """Every record's reference (``dependency:DEP-10``) and title: what a page shows beside a link."""
    with pilot.db.reading() as session:
        data = load_program(session, program_id)
    titles = {view.ref: view.title for view in record_views(data)}
    titles.update({ref("person", p.id): p.name for p in data.people})
    titles.update({ref("team", t.id): t.name for t in data.teams})
    return titles
