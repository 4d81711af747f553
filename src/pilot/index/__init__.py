"""The searchable index of a program's documents: chunking, local embeddings, a vector arm on
Chroma (one collection per program) and a keyword arm in the database, fused.
`open_index(settings, db)` is the entry."""

from __future__ import annotations

import threading

from pilot.index.embedding import Embedder
from pilot.index.hybrid import DocumentIndex, Hit
from pilot.settings import Settings
from pilot.store.db import Database

__all__ = ["DocumentIndex", "Hit", "open_index"]

# The embedder per vector index (data directory or Chroma server): the model loads once per
# process, and one given explicitly (tests, evals) stays the one that index's vectors are made with.
_embedders: dict[str, Embedder] = {}
_lock = threading.Lock()


def open_index(settings: Settings, db: Database, *, embedder: Embedder | None = None) -> DocumentIndex:
    """The index over `db` and the configured vector store. Cheap: a process keeps only the
    embedding model and the vector store's client, never search state."""
    from pilot.index.chroma_store import ChromaVectors

    if settings.chroma_url:
        vectors, key = ChromaVectors(url=settings.chroma_url), settings.chroma_url
    else:
        folder = settings.data_dir / "chroma"
        vectors, key = ChromaVectors(path=folder), str(folder.resolve())
    with _lock:
        if embedder is not None:
            _embedders[key] = embedder
        elif key not in _embedders:
            from pilot.index.embedding import embedder_for

            _embedders[key] = embedder_for(settings)
        chosen = _embedders[key]
    return DocumentIndex(db, vectors, chosen, retriever=settings.retriever)
