"""Test doubles for ingestion: an index that records what it is asked, and a tiny embedder for the
real `DocumentIndex` (bag of words hashed into 256 dimensions: no model, no network)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from pilot.domain.documents import Document
from pilot.index.embedding import Vectors


class FakeIndex:
    """Records adds and removes; `fail_adds` / `fail_removes` make the next calls raise."""

    def __init__(self) -> None:
        self.documents: dict[str, Document] = {}
        self.added: list[str] = []
        self.removed: list[str] = []
        self.fail_adds = 0
        self.fail_removes = 0

    def add_documents(self, docs: Sequence[Document]) -> int:
        if self.fail_adds:
            self.fail_adds -= 1
            raise RuntimeError("vector store unavailable")
        for doc in docs:
            self.documents[doc.key] = doc
            self.added.append(doc.key)
        return len(docs)

    def remove_document(self, program_id: str, document_key: str) -> None:
        if self.fail_removes:
            self.fail_removes -= 1
            raise RuntimeError("vector store unavailable")
        self.removed.append(document_key)
        self.documents.pop(document_key, None)


def hashing_embedder(texts: Sequence[str]) -> Vectors:
    out = np.zeros((len(texts), 256), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in re.findall(r"[a-z0-9]+", text.lower()):
            out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % 256] += 1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms == 0, 1, norms)
