"""Stored documents as the pages read them: one document with its text, the keys of a program's."""

from __future__ import annotations

from pilot.domain.documents import Document
from pilot.pipeline.context import Pilot
from pilot.store.documents import get_document_row, list_document_rows, to_document


def get_document(pilot: Pilot, program_id: str, document_id: int) -> Document:
    """A live document of the program with its text and turns; NOT_FOUND otherwise."""
    with pilot.db.reading() as session:
        return to_document(get_document_row(session, program_id, document_id))


def document_ids(pilot: Pilot, program_id: str) -> dict[str, int]:
    """`source:external_id` -> row id of every live document (citations link to the stored copy)."""
    with pilot.db.reading() as session:
        return {f"{r.source}:{r.external_id}": r.id for r in list_document_rows(session, program_id)}
