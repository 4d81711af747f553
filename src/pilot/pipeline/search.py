"""Search one program's documents (the program must exist and the caller must see it)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pilot.index import Hit, open_index
from pilot.pipeline.context import Pilot
from pilot.store.programs import load_program


def search_program(
    pilot: Pilot,
    program_id: str,
    query: str,
    *,
    k: int = 10,
    sources: Sequence[str] | None = None,
    kinds: Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    retriever: str = "default",
) -> list[Hit]:
    with pilot.db.transaction() as session:
        load_program(session, program_id)
    index = open_index(pilot.settings)
    return index.search(
        program_id, query, k=k, sources=sources, kinds=kinds, since=since, until=until, retriever=retriever
    )
