"""The signals beside a program's records, gathered for the signal detectors: meetings with what
they produced, and the stored delivery facts."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from pilot.domain.program import ProgramData, ref
from pilot.domain.signals import MeetingOutcome, ProgramSignals
from pilot.pipeline.context import Pilot
from pilot.rules.meetings import cites, series_of
from pilot.store.delivery import MeetingDocument, load_delivery, meeting_documents
from pilot.store.programs import load_program


def meeting_outcomes(data: ProgramData, documents: list[MeetingDocument]) -> list[MeetingOutcome]:
    """One outcome per meeting: documents of the same series and day (a transcript ingested and
    also pasted for extraction) are one meeting, their drafts and citing records added up."""
    sources = [(ref("action", a.id), a.source_document) for a in data.action_items if a.source_document]
    merged: dict[tuple[str, date], MeetingOutcome] = {}
    for doc in sorted(documents, key=lambda d: d.id):
        series = series_of(doc.title, doc.filename, doc.series, data.program.name)
        recorded = tuple(
            record
            for record, said in sources
            if cites(
                said, external_id=doc.external_id, filename=doc.filename, held_on=doc.held_on, series=series
            )
        )
        found = merged.get((series, doc.held_on))
        if found is None:
            merged[(series, doc.held_on)] = MeetingOutcome(
                document_id=doc.id,
                title=doc.title,
                series=series,
                held_on=doc.held_on,
                approved_actions=doc.approved_actions,
                approved_decisions=doc.approved_decisions,
                recorded=recorded,
                pending_drafts=doc.pending,
            )
            continue
        merged[(series, doc.held_on)] = found.model_copy(
            update={
                "approved_actions": found.approved_actions + doc.approved_actions,
                "approved_decisions": found.approved_decisions + doc.approved_decisions,
                "recorded": tuple(dict.fromkeys((*found.recorded, *recorded))),
                "pending_drafts": found.pending_drafts + doc.pending,
            }
        )
    return sorted(merged.values(), key=lambda m: (m.series, m.held_on))


def load_signals(session: Session, program_id: str, data: ProgramData) -> ProgramSignals:
    runs, pulls, tickets, changes = load_delivery(session, program_id)
    return ProgramSignals(
        meetings=meeting_outcomes(data, meeting_documents(session, program_id)),
        ci_runs=runs,
        pull_requests=pulls,
        tickets=tickets,
        ticket_changes=changes,
    )


def list_meetings(pilot: Pilot, program_id: str) -> list[MeetingOutcome]:
    """Every meeting of the program with what it produced, by series then date."""
    with pilot.db.transaction() as session:
        data = load_program(session, program_id)
        return meeting_outcomes(data, meeting_documents(session, program_id))
