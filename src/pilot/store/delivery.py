"""Delivery facts pulled from GitHub Actions, pull requests and the Jira changelog, and the
meeting facts the meeting-effectiveness KPI reads (documents and their reviewed drafts).

Every pull upserts by the provider's own ids, so overlapping pages and re-runs change nothing.
No table holds a person: the rules built on these are about flow, never a ranking.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from pilot.domain.signals import CiRun, PullRequest, Ticket, TicketChange
from pilot.store.tables import Base, DocumentRow, DraftRow


class _ProgramKey:
    program_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True
    )


class CiRunRow(_ProgramKey, Base):
    __tablename__ = "delivery_ci_runs"
    repo: Mapped[str] = mapped_column(String(200), primary_key=True)
    run_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    workflow: Mapped[str] = mapped_column(String(300))
    branch: Mapped[str] = mapped_column(String(300))
    default_branch: Mapped[str] = mapped_column(String(300))
    event: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32))
    conclusion: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    url: Mapped[str | None] = mapped_column(String(2000))


class PullRequestRow(_ProgramKey, Base):
    __tablename__ = "delivery_pull_requests"
    repo: Mapped[str] = mapped_column(String(200), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    title: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))
    draft: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    merged_at: Mapped[datetime | None]
    first_review_at: Mapped[datetime | None]
    url: Mapped[str | None] = mapped_column(String(2000))


class TicketRow(_ProgramKey, Base):
    __tablename__ = "delivery_tickets"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(100))
    status_category: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime | None]
    url: Mapped[str | None] = mapped_column(String(2000))


class TicketChangeRow(_ProgramKey, Base):
    __tablename__ = "delivery_ticket_changes"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    history_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    item: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    field: Mapped[str] = mapped_column(String(100))
    from_string: Mapped[str | None] = mapped_column(Text)
    to_string: Mapped[str | None] = mapped_column(Text)


def _upsert(session: Session, row_type: type[Base], values: dict[str, Any]) -> bool:
    """Insert or update one row by its primary key; True when something changed."""
    key = {column.name: values[column.name] for column in row_type.__table__.primary_key}
    row = session.get(row_type, key)
    if row is None:
        session.add(row_type(**values))
        return True
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _save(session: Session, row_type: type[Base], program_id: str, items: Iterable[BaseModel]) -> int:
    return sum(_upsert(session, row_type, {"program_id": program_id, **item.model_dump()}) for item in items)


def save_ci_runs(session: Session, program_id: str, runs: Iterable[CiRun]) -> int:
    return _save(session, CiRunRow, program_id, runs)


def save_pull_requests(session: Session, program_id: str, pulls: Iterable[PullRequest]) -> int:
    return _save(session, PullRequestRow, program_id, pulls)


def save_tickets(session: Session, program_id: str, tickets: Iterable[Ticket]) -> int:
    return _save(session, TicketRow, program_id, tickets)


def save_ticket_changes(session: Session, program_id: str, changes: Iterable[TicketChange]) -> int:
    return _save(session, TicketChangeRow, program_id, changes)


def _rows(session: Session, row_type: type[Base], program_id: str) -> list[dict[str, Any]]:
    table = row_type.__table__
    rows = session.execute(select(row_type).where(table.c.program_id == program_id)).scalars()
    columns = [c.name for c in table.c if c.name != "program_id"]
    return [{name: getattr(row, name) for name in columns} for row in rows]


def load_delivery(
    session: Session, program_id: str
) -> tuple[list[CiRun], list[PullRequest], list[Ticket], list[TicketChange]]:
    return (
        [CiRun.model_validate(r) for r in _rows(session, CiRunRow, program_id)],
        [PullRequest.model_validate(r) for r in _rows(session, PullRequestRow, program_id)],
        [Ticket.model_validate(r) for r in _rows(session, TicketRow, program_id)],
        [TicketChange.model_validate(r) for r in _rows(session, TicketChangeRow, program_id)],
    )


@dataclass(frozen=True)
class MeetingDocument:
    """A stored transcript or notes document and the drafts extracted from it."""

    id: int
    external_id: str
    title: str
    filename: str | None
    series: str | None
    held_on: date
    approved_actions: int
    approved_decisions: int
    pending: int


def meeting_documents(session: Session, program_id: str) -> list[MeetingDocument]:
    docs = session.execute(
        select(
            DocumentRow.id,
            DocumentRow.external_id,
            DocumentRow.title,
            DocumentRow.meta,
            DocumentRow.meeting_date,
            DocumentRow.created_at,
            DocumentRow.stored_at,
        ).where(
            DocumentRow.program_id == program_id,
            DocumentRow.deleted_at.is_(None),
            DocumentRow.kind.in_(("transcript", "notes")),
        )
    ).all()
    counts: dict[tuple[int, str, str], int] = {}
    for doc_id, kind, status, n in session.execute(
        select(DraftRow.source_document_id, DraftRow.kind, DraftRow.status, func.count())
        .where(
            DraftRow.program_id == program_id,
            DraftRow.source_document_id.is_not(None),
            DraftRow.kind.in_(("action_item", "decision")),
        )
        .group_by(DraftRow.source_document_id, DraftRow.kind, DraftRow.status)
    ).all():
        if doc_id is not None:
            counts[(doc_id, kind, status)] = int(n)
    found = []
    for doc_id, external_id, title, meta, meeting_date, created_at, stored_at in docs:
        held = meeting_date or (created_at or stored_at).date()
        meta = meta or {}
        found.append(
            MeetingDocument(
                id=doc_id,
                external_id=external_id,
                title=title or "",
                filename=meta.get("filename"),
                series=meta.get("series"),
                held_on=held,
                approved_actions=counts.get((doc_id, "action_item", "approved"), 0),
                approved_decisions=counts.get((doc_id, "decision", "approved"), 0),
                pending=counts.get((doc_id, "action_item", "pending"), 0)
                + counts.get((doc_id, "decision", "pending"), 0),
            )
        )
    return found
