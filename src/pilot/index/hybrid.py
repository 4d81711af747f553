"""The document index: chunks in a vector arm and a BM25 arm, fused by weighted reciprocal rank.

Every query names its program and is answered from that program's collection and keyword
index only. Filters (source, kind, date range) apply to both arms before fusion.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel, Field

from pilot.domain.documents import Chunk, Document
from pilot.index.chunking import chunk_document
from pilot.index.embedding import Embedder, Vectors
from pilot.index.keyword import KeywordIndex
from pilot.index.memory_store import matches
from pilot.index.retrievers import RetrieverConfig, load_retriever


class VectorStore(Protocol):
    def add(self, program_id: str, ids: Sequence[str], vectors: Vectors, texts: Sequence[str],
            metadatas: Sequence[Mapping[str, str | int | float | bool]]) -> None: ...  # fmt: skip

    def delete_document(self, program_id: str, document_key: str) -> None: ...

    def query(
        self, program_id: str, vector: Vectors, k: int, where: dict[str, Any] | None = None
    ) -> list[tuple[str, float]]: ...

    def all_chunks(self, program_id: str) -> tuple[list[str], list[str], list[dict[str, Any]]]: ...

    def get(self, program_id: str, ids: Sequence[str]) -> dict[str, tuple[str, dict[str, Any]]]: ...


class Hit(BaseModel):
    chunk_id: str
    document_key: str
    text: str
    score: float
    metadata: dict[str, Any] = Field(default_factory=dict)
    vector_rank: int | None = None
    keyword_rank: int | None = None


class Filters(BaseModel):
    sources: list[str] | None = None
    kinds: list[str] | None = None
    since: datetime | None = None
    until: datetime | None = None

    def where(self) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        if self.sources:
            clauses.append({"source": {"$in": list(self.sources)}})
        if self.kinds:
            clauses.append({"kind": {"$in": list(self.kinds)}})
        if self.since:
            clauses.append({"date_ts": {"$gte": self.since.timestamp()}})
        if self.until:
            clauses.append({"date_ts": {"$lte": self.until.timestamp()}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class DocumentIndex:
    def __init__(self, vectors: VectorStore, embedder: Embedder, *, retriever: str = "default") -> None:
        self.vectors = vectors
        self.embedder = embedder
        self.default_retriever = retriever
        self._keyword: dict[str, KeywordIndex] = {}
        self._lock = threading.RLock()

    def config(self, name: str | None = None) -> RetrieverConfig:
        return load_retriever(name or self.default_retriever)

    # --- writing ---------------------------------------------------------------------------------

    def add_document(self, doc: Document) -> int:
        return self.add_documents([doc])

    def add_documents(self, docs: Sequence[Document]) -> int:
        """Replace each document's chunks; all texts are embedded in one batched pass."""
        chunking = self.config().chunking.to_config()
        chunks: list[Chunk] = []
        for doc in docs:
            self.remove_document(doc.program_id, doc.key)
            chunks.extend(chunk_document(doc, chunking))
        if not chunks:
            return 0
        vectors = self.embedder([c.text for c in chunks])
        by_program: dict[str, list[int]] = {}
        for position, chunk in enumerate(chunks):
            by_program.setdefault(chunk.program_id, []).append(position)
        with self._lock:
            for program_id, positions in by_program.items():
                picked = [chunks[i] for i in positions]
                self.vectors.add(program_id, [c.id for c in picked], vectors[positions], [c.text for c in picked],
                                 [c.metadata for c in picked])  # fmt: skip
                keyword = self._keyword.get(program_id)
                if keyword is not None:
                    keyword.extend(
                        [c.id for c in picked], [c.text for c in picked], [c.metadata for c in picked]
                    )
        return len(chunks)

    def remove_document(self, program_id: str, document_key: str) -> None:
        with self._lock:
            self.vectors.delete_document(program_id, document_key)
            keyword = self._keyword.get(program_id)
            if keyword is not None:
                keyword.remove_document(document_key)

    # --- reading ---------------------------------------------------------------------------------

    def _keyword_index(self, program_id: str) -> KeywordIndex:
        with self._lock:
            keyword = self._keyword.get(program_id)
            if keyword is None:
                keyword = KeywordIndex()
                keyword.extend(*self.vectors.all_chunks(program_id))
                self._keyword[program_id] = keyword
            return keyword

    def search(
        self,
        program_id: str,
        query: str,
        *,
        k: int | None = None,
        sources: Sequence[str] | None = None,
        kinds: Sequence[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        retriever: str | None = None,
    ) -> list[Hit]:
        config = self.config(retriever)
        limit = k or config.k
        if not query.strip():
            return []
        filters = Filters(sources=list(sources) if sources else None, kinds=list(kinds) if kinds else None,
                          since=since, until=until)  # fmt: skip
        where = filters.where()
        vector_ranked: list[tuple[str, float]] = []
        keyword_ranked: list[tuple[str, float]] = []
        if config.vector.weight > 0 and config.vector.candidates > 0:
            vector_ranked = self.vectors.query(
                program_id, self.embedder([query])[0], config.vector.candidates, where
            )
        if config.keyword.weight > 0 and config.keyword.candidates > 0:
            keyword_ranked = self._keyword_index(program_id).search(
                query, config.keyword.candidates, (lambda meta: matches(meta, where)) if where else None
            )
        fused: dict[str, float] = {}
        ranks: dict[str, dict[str, int]] = {}
        for arm, ranked, weight in (("vector", vector_ranked, config.vector.weight),
                                    ("keyword", keyword_ranked, config.keyword.weight)):  # fmt: skip
            for rank, (chunk_id, _score) in enumerate(ranked, start=1):
                fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (config.fusion.rrf_k + rank)
                ranks.setdefault(chunk_id, {})[arm] = rank
        top = sorted(fused.items(), key=lambda item: (-item[1], item[0]))[:limit]
        stored = self.vectors.get(program_id, [chunk_id for chunk_id, _ in top])
        hits = []
        for chunk_id, score in top:
            if chunk_id not in stored:
                continue  # removed between the two reads
            text, meta = stored[chunk_id]
            if meta.get("program_id") != program_id:
                continue  # belt and braces: never return another program's chunk
            hits.append(Hit(chunk_id=chunk_id, document_key=str(meta.get("document_key")), text=text,
                            score=round(score, 6), metadata=meta, vector_rank=ranks[chunk_id].get("vector"),
                            keyword_rank=ranks[chunk_id].get("keyword")))  # fmt: skip
        return hits
