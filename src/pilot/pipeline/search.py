"""Search one program's documents (the program must exist and the caller must see it)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pilot.domain.errors import ErrorCode, PilotError
from pilot.index import Hit, open_index
from pilot.index.embedding import Embedder

__all__ = [
    "Embedder",
    "Hit",
    "embedding_backend",
    "reference_embedder",
    "search_program",
    "text_embedder",
    "use_embedder",
]
from pilot.pipeline.context import Pilot
from pilot.settings import Settings
from pilot.store.tables import ProgramRow


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
    retriever: str | None = None,
    timings: dict[str, float] | None = None,
) -> list[Hit]:
    """The program's best chunks for `query`, by the named retriever (default: the configured one).
    `timings`, when given, receives each part's wall time in ms (see `DocumentIndex.search`)."""
    with pilot.db.reading() as session:
        if session.get(ProgramRow, program_id) is None:
            raise PilotError(ErrorCode.NOT_FOUND, f"program {program_id!r} not found")
    index = open_index(pilot.settings, pilot.db)
    return index.search(
        program_id,
        query,
        k=k,
        sources=sources,
        kinds=kinds,
        since=since,
        until=until,
        retriever=retriever,
        timings=timings,
    )


def text_embedder(settings: Settings) -> Embedder:
    """The embedding model search uses, for baselines that embed texts the same way."""
    from pilot.index.embedding import embedder_for

    return embedder_for(settings)


def embedding_backend(settings: Settings) -> str:
    """The embedding backend that runs under these settings, for reports (`auto` resolved)."""
    from pilot.index.embedding import backend_label

    return backend_label(settings)


def reference_embedder() -> Embedder:
    """The bundled MiniLM as sentence-transformers runs it: the reference vectors eval scoring
    uses, whatever backend the index is configured with."""
    from pilot.index.embedding import MiniLMEmbedder

    return MiniLMEmbedder()


def use_embedder(pilot: Pilot, embedder: Embedder) -> None:
    """Index and search this pilot's documents with `embedder` instead of the configured model
    (tests and evals that measure without the model)."""
    open_index(pilot.settings, pilot.db, embedder=embedder)
