"""Test doubles for ingestion: an index that records what it is asked, and the real index on an
in-memory vector store with a bag-of-words embedder (no model, no network)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from pilot.domain.documents import Document
from pilot.index.hybrid import IndexListener
from pilot.store.db import Database
from tests.index.fakes import MemoryVectors, hashing_embedder

__all__ = ["FakeIndex", "hashing_embedder", "use_memory_vectors"]


class FakeIndex:
    """Records adds and removes; `fail_adds` / `fail_removes` make the next calls raise."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.documents: dict[str, Document] = {}
        self.added: list[str] = []
        self.removed: list[str] = []
        self.fail_adds = 0
        self.fail_removes = 0

    def add_documents(
        self, docs: Sequence[Document], *, listener: IndexListener | None = None, stored_vectors: bool = False
    ) -> int:
        """Like the real index: document by document, a failure reported to the listener."""
        for doc in docs:
            if self.fail_adds:
                self.fail_adds -= 1
                error = RuntimeError("vector store unavailable")
                if listener is None:
                    raise error
                listener.failed(doc, error)
                continue
            self.documents[doc.key] = doc
            self.added.append(doc.key)
            if listener is not None:
                with self.db.transaction() as session:
                    listener.indexed(session, doc, 1)
                listener.committed(doc, 1)
        return len(docs)

    def remove_document(self, program_id: str, document_key: str) -> None:
        if self.fail_removes:
            self.fail_removes -= 1
            raise RuntimeError("vector store unavailable")
        self.removed.append(document_key)
        self.documents.pop(document_key, None)


def use_memory_vectors(monkeypatch: pytest.MonkeyPatch) -> MemoryVectors:
    """Every index `open_index` makes in this test: real rows and keyword index in the test's
    database, vectors in one in-memory store, the bag-of-words embedder."""
    vectors = MemoryVectors()
    monkeypatch.setattr("pilot.index.chroma_store.ChromaVectors", lambda **_: vectors)
    monkeypatch.setattr("pilot.index.embedding.embedder_for", lambda _settings: hashing_embedder)
    return vectors
