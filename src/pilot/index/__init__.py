"""The searchable index of a program's documents: chunking, local embeddings, a vector arm on
Chroma (one collection per program) and a BM25 arm, fused. `open_index(settings)` is the entry."""

from __future__ import annotations

from pilot.index.embedding import Embedder
from pilot.index.hybrid import DocumentIndex, Hit
from pilot.settings import Settings

__all__ = ["DocumentIndex", "Hit", "open_index"]

_indexes: dict[str, DocumentIndex] = {}


def open_index(settings: Settings, *, embedder: Embedder | None = None) -> DocumentIndex:
    """One index per data directory (or Chroma server) per process: the keyword arm and the model load once."""
    key = settings.chroma_url or str((settings.data_dir / "chroma").resolve())
    found = _indexes.get(key)
    if found is None or (embedder is not None and found.embedder is not embedder):
        from pilot.index.chroma_store import ChromaVectors
        from pilot.index.embedding import embedder_for

        vectors = (
            ChromaVectors(url=settings.chroma_url)
            if settings.chroma_url
            else ChromaVectors(path=settings.data_dir / "chroma")
        )
        found = DocumentIndex(vectors, embedder or embedder_for(settings))
        _indexes[key] = found
    return found
