"""Program data of record in SQL: load a whole program, save one (upsert), list programs.

Rows and domain models share field names, so conversion is generic: `model_dump` into a row,
row columns back into `model_validate`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from pilot.clock import system_clock
from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.program import ProgramData, ProgramInfo, SaveSummary
from pilot.store.tables import RECORD_TABLES, Base, ProgramRow

_JSON_FIELDS = {"aliases", "forecast_history", "acceptance_criteria", "options", "depends_on", "tickets"}


def _row_values(model: BaseModel) -> dict[str, Any]:
    values = model.model_dump(mode="python")
    for name in _JSON_FIELDS & values.keys():
        values[name] = model.model_dump(mode="json", include={name})[name]
    return values


def _row_to_dict(row: Base, columns: list[str]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in columns if name not in ("program_id", "seq")}


def _columns(table: type[Base]) -> list[str]:
    return [c.key for c in table.__table__.columns]


def list_programs(session: Session) -> list[ProgramInfo]:
    rows = session.execute(select(ProgramRow).order_by(ProgramRow.id)).scalars()
    return [_program_info(row) for row in rows]


def _program_info(row: ProgramRow) -> ProgramInfo:
    return ProgramInfo.model_validate(
        {
            "id": row.id,
            "name": row.name,
            "tier": row.tier,
            "description": row.description,
            "timezone": row.timezone,
            "start_date": row.start_date,
            "as_of": row.as_of,
            "thresholds": row.thresholds or {},
            "holidays": row.holidays or [],
        }
    )


def load_program(session: Session, program_id: str) -> ProgramData:
    row = session.get(ProgramRow, program_id)
    if row is None:
        raise PilotError(ErrorCode.NOT_FOUND, f"program {program_id!r} not found")
    data: dict[str, Any] = {"program": _program_info(row)}
    for collection, table in RECORD_TABLES.items():
        columns = _columns(table)
        rows = session.execute(
            select(table)
            .where(table.program_id == program_id)  # type: ignore[attr-defined]
            .order_by(table.seq, table.id)  # type: ignore[attr-defined]
        ).scalars()
        data[collection] = [_row_to_dict(r, columns) for r in rows]
    return ProgramData.model_validate(data)


def save_program(
    session: Session, data: ProgramData, *, prune: bool = False, now: datetime | None = None
) -> SaveSummary:
    """Upsert every record of `data` inside the caller's transaction.

    Records already stored but absent from `data` are kept unless `prune` is set: approved drafts
    add records (action items, RAID entries) that a program file exported earlier does not know.
    """
    now = now or system_clock()
    info = data.program
    program_row = session.get(ProgramRow, info.id)
    info_values = info.model_dump(mode="python")
    info_values["tier"] = int(info.tier)
    info_values["holidays"] = sorted({day.isoformat() for day in info.holidays})
    if program_row is None:
        session.add(ProgramRow(**info_values, created_at=now, updated_at=now))
    else:
        for key, value in info_values.items():
            setattr(program_row, key, value)
        program_row.updated_at = now
    created: dict[str, int] = {}
    updated: dict[str, int] = {}
    unchanged: dict[str, int] = {}
    deleted: dict[str, int] = {}
    for collection, table in RECORD_TABLES.items():
        records: list[BaseModel] = getattr(data, collection)
        columns = _columns(table)
        existing = {
            r.id: r  # type: ignore[attr-defined]
            for r in session.execute(
                select(table).where(table.program_id == info.id)  # type: ignore[attr-defined]
            ).scalars()
        }
        c = u = same = 0
        for seq, record in enumerate(records):
            values = _row_values(record)
            row = existing.pop(values["id"], None)
            if row is None:
                session.add(table(program_id=info.id, seq=seq, **values))
                c += 1
            elif _row_to_dict(row, columns) != values:
                for key, value in values.items():
                    setattr(row, key, value)
                row.seq = seq  # type: ignore[attr-defined]
                u += 1
            else:
                same += 1
        d = 0
        if prune and existing:
            session.execute(
                delete(table).where(
                    table.program_id == info.id,  # type: ignore[attr-defined]
                    table.id.in_(list(existing)),  # type: ignore[attr-defined]
                )
            )
            d = len(existing)
        created[collection], updated[collection], unchanged[collection], deleted[collection] = c, u, same, d
    session.flush()
    return SaveSummary(
        program_id=info.id, created=created, updated=updated, unchanged=unchanged, deleted=deleted
    )


def insert_record(session: Session, program_id: str, collection: str, record: BaseModel) -> None:
    """Add one new record (from an approved draft). An existing id is a conflict, never overwritten."""
    table: Any = RECORD_TABLES[collection]
    values = _row_values(record)
    exists = session.execute(
        select(table.id).where(table.program_id == program_id, table.id == values["id"])
    ).first()
    if exists is not None:
        raise PilotError(ErrorCode.CONFLICT, f"{collection} record {values['id']!r} already exists")
    last = session.execute(select(func.max(table.seq)).where(table.program_id == program_id)).scalar()
    session.add(table(program_id=program_id, seq=(last or 0) + 1, **values))
    session.flush()
