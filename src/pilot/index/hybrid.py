"""The document index: chunks in a vector arm (Chroma) and a keyword arm (the database's full-text
index), fused by weighted reciprocal rank.

Chunk rows, their keyword index and their texts live in SQL; the vector store holds their vectors.
Nothing about the index is kept in a process's memory, so every process answers from what every
other process committed. Each document is written on its own: vectors first, then its chunk rows
in one transaction (with whatever the caller records beside them, such as the document's index
state). A document whose rows are not committed is not found, even if its vectors were written.

Every query names its program and is answered from that program's chunks only. Filters (source,
kind, date range) apply to both arms before fusion.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any, Protocol

import numpy as np
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from pilot.domain.documents import Chunk, Document
from pilot.index.chunking import ChunkingConfig, chunk_document
from pilot.index.embedding import Embedder, Vectors
from pilot.index.retrievers import RetrieverConfig, load_retriever
from pilot.index.terms import keyword_terms
from pilot.index.writing import embed_and_write, embed_group
from pilot.store.chunks import ChunkData, ChunkFilter, keyword_search, load_chunks, replace_document_chunks
from pilot.store.db import Database

EMBED_GROUP = 256  # chunks embedded in one pass; documents are still committed one by one


class IndexListener(Protocol):
    """Told about each document as it is indexed."""

    def indexed(self, session: Session, doc: Document, chunks: int) -> None:
        """Inside the document's transaction: what is written here commits with its chunk rows."""

    def committed(self, doc: Document, chunks: int) -> None:
        """After that transaction committed."""

    def failed(self, doc: Document, error: Exception) -> None:
        """The document could not be indexed (nothing of it was committed); the others go on."""


class VectorStore(Protocol):
    def replace_document(
        self,
        program_id: str,
        document_key: str,
        ids: Sequence[str],
        vectors: Vectors,
        metadatas: Sequence[Mapping[str, str | int | float | bool]],
    ) -> None: ...

    def query(
        self, program_id: str, vector: Vectors, k: int, where: dict[str, Any] | None = None
    ) -> list[tuple[str, float]]: ...


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
        """The filters in Chroma's `where` language."""
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

    def chunk_filter(self) -> ChunkFilter:
        """The same filters on the chunk rows."""
        return ChunkFilter(
            sources=tuple(self.sources or ()),
            kinds=tuple(self.kinds or ()),
            since_ts=self.since.timestamp() if self.since else None,
            until_ts=self.until.timestamp() if self.until else None,
        )


class DocumentIndex:
    def __init__(
        self, db: Database, vectors: VectorStore, embedder: Embedder, *, retriever: str = "default"
    ) -> None:
        self.db = db
        self.vectors = vectors
        self.embedder = embedder
        self.default_retriever = retriever

    def config(self, name: str | None = None) -> RetrieverConfig:
        return load_retriever(name or self.default_retriever)

    # --- writing ---------------------------------------------------------------------------------

    def add_document(self, doc: Document) -> int:
        return self.add_documents([doc])

    def add_documents(
        self, docs: Sequence[Document], *, listener: IndexListener | None = None, stored_vectors: bool = False
    ) -> int:
        """Replace each document's chunks, committing document by document; texts are embedded in
        groups of about `EMBED_GROUP` chunks. With a listener a failed document is reported and
        the rest go on; without one the failure is raised. Returns the number of chunks written.

        `stored_vectors`: the documents were indexed by a version that kept chunk texts in the
        vector store only; their rows are rebuilt from it without embedding anything again (a
        document not found there is indexed as usual)."""
        written = 0
        if stored_vectors:
            docs, written = self._rows_from_vectors(docs, listener)
        chunking = self.config().chunking.to_config()
        written += embed_and_write(
            _groups(docs, chunking),
            lambda group: embed_group(self.embedder, group, chunking),
            lambda group, vectors: self._write_group(group, vectors, listener),
            listener.failed if listener is not None else None,
        )
        return written

    def _write_group(
        self, group: list[tuple[Document, list[Chunk]]], vectors: Vectors, listener: IndexListener | None
    ) -> int:
        """A group's documents one by one; without a listener the first failure is raised."""
        written = offset = 0
        for doc, chunks in group:
            part = vectors[offset : offset + len(chunks)]
            offset += len(chunks)
            try:
                self.write_chunks(doc, chunks, part, listener)
            except Exception as exc:
                if listener is None:
                    raise
                listener.failed(doc, exc)
                continue
            written += len(chunks)
            if listener is not None:
                listener.committed(doc, len(chunks))
        return written

    def _rows_from_vectors(
        self, docs: Sequence[Document], listener: IndexListener | None
    ) -> tuple[list[Document], int]:
        """Chunk rows for documents whose vectors and texts are in the vector store already:
        (the documents still to index, chunks written)."""
        stored_chunks = getattr(self.vectors, "stored_chunks", None)
        left: list[Document] = []
        written = 0
        for doc in docs:
            found = stored_chunks(doc.program_id, doc.key) if stored_chunks is not None else []
            if not found:
                left.append(doc)
                continue
            rows = [
                ChunkData(
                    chunk_id=cid,
                    position=int(meta.get("chunk", n)),
                    text=text,
                    terms=keyword_terms(text),
                    metadata=meta,
                )
                for n, (cid, text, meta) in enumerate(found)
            ]
            rows.sort(key=lambda row: row.position)
            with self.db.transaction() as session:
                replace_document_chunks(session, doc.program_id, doc.key, rows)
                if listener is not None:
                    listener.indexed(session, doc, len(rows))
            if listener is not None:
                listener.committed(doc, len(rows))
            written += len(rows)
        return left, written

    def write_chunks(
        self, doc: Document, chunks: Sequence[Chunk], vectors: Vectors, listener: IndexListener | None = None
    ) -> None:
        """One document's chunks with their vectors: the vector store first, then the rows."""
        self.vectors.replace_document(
            doc.program_id, doc.key, [c.id for c in chunks], vectors, [c.metadata for c in chunks]
        )
        rows = [
            ChunkData(
                chunk_id=c.id,
                position=int(c.metadata.get("chunk", n)),
                text=c.text,
                terms=keyword_terms(c.text),
                metadata=c.metadata,
            )
            for n, c in enumerate(chunks)
        ]
        with self.db.transaction() as session:
            replace_document_chunks(session, doc.program_id, doc.key, rows)
            if listener is not None:
                listener.indexed(session, doc, len(chunks))

    def remove_document(self, program_id: str, document_key: str) -> None:
        """Rows first (the document stops being found), then its vectors."""
        with self.db.transaction() as session:
            replace_document_chunks(session, program_id, document_key, [])
        self.vectors.replace_document(program_id, document_key, [], np.zeros((0, 1), np.float32), [])

    # --- reading ---------------------------------------------------------------------------------

    def _keyword_ranked(
        self, program_id: str, query: str, config: RetrieverConfig, filters: Filters
    ) -> tuple[list[tuple[str, float]], float]:
        """The keyword arm's candidates and its own wall time in ms."""
        started = time.perf_counter()
        with self.db.reading() as session:
            ranked = keyword_search(
                session,
                program_id,
                keyword_terms(query),
                config.keyword.candidates,
                chunk_filter=filters.chunk_filter(),
                budget=config.keyword.term_budget,
            )
        return ranked, (time.perf_counter() - started) * 1000

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
        timings: dict[str, float] | None = None,
    ) -> list[Hit]:
        """The program's best chunks for `query`. `timings`, when given, receives each part's
        wall time in ms: embed (the query vector), vector, keyword (the keyword arm, beside the
        other two), keyword_wait (what it added after them), fusion, fetch (the rows)."""
        config = self.config(retriever)
        if not query.strip():
            return []
        clock = _Clock(timings)
        filters = Filters(
            sources=list(sources) if sources else None,
            kinds=list(kinds) if kinds else None,
            since=since,
            until=until,
        )
        # The keyword arm needs no query vector: it runs on its own thread while the query is
        # embedded and the vector arm searched (SQLite, ONNX Runtime and Chroma release the GIL).
        keyword_arm: Future[tuple[list[tuple[str, float]], float]] | None = None
        if config.keyword.weight > 0 and config.keyword.candidates > 0:
            keyword_arm = _arm_threads().submit(self._keyword_ranked, program_id, query, config, filters)
        vector_ranked: list[tuple[str, float]] = []
        if config.vector.weight > 0 and config.vector.candidates > 0:
            vector = query_vector(self.embedder, query)
            clock.lap("embed")
            vector_ranked = self.vectors.query(program_id, vector, config.vector.candidates, filters.where())
            clock.lap("vector")
        keyword_ranked: list[tuple[str, float]] = []
        if keyword_arm is not None:
            keyword_ranked, keyword_ms = keyword_arm.result()
            clock.lap("keyword_wait")  # what the keyword arm added after the vector arm was done
            if timings is not None:
                timings["keyword"] = keyword_ms
        fused, ranks = _fuse(config, vector_ranked, keyword_ranked)
        wanted = k or config.k
        clock.lap("fusion")
        with self.db.reading() as session:
            # Rows for the best few first; more only when some of those are not (or no longer)
            # the program's committed chunks.
            hits: list[Hit] = []
            start = 0
            while len(hits) < wanted and start < len(fused):
                part = fused[start : start + max(2 * (wanted - len(hits)), 8)]
                start += len(part)
                stored = load_chunks(session, [chunk_id for chunk_id, _ in part])
                for chunk_id, score in part:
                    row = stored.get(chunk_id)
                    if row is None or row.program_id != program_id:
                        continue  # vectors written for rows not committed (or gone since): not in the index
                    hits.append(
                        Hit(
                            chunk_id=chunk_id,
                            document_key=row.document_key,
                            text=row.text,
                            score=round(score, 6),
                            metadata=row.metadata,
                            vector_rank=ranks[chunk_id].get("vector"),
                            keyword_rank=ranks[chunk_id].get("keyword"),
                        )
                    )
                    if len(hits) == wanted:
                        break
            clock.lap("fetch")
        return hits


_arm_pool: ThreadPoolExecutor | None = None
_arm_pool_lock = threading.Lock()


def _arm_threads() -> ThreadPoolExecutor:
    """Threads for keyword arms, made on first search (none at import)."""
    global _arm_pool
    with _arm_pool_lock:
        if _arm_pool is None:
            _arm_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="pilot-keyword-arm")
        return _arm_pool


class _Clock:
    """Wall time of each part of a search, in ms, into `timings` (nothing when it is None)."""

    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings
        self.last = time.perf_counter()

    def lap(self, part: str) -> None:
        if self.timings is None:
            return
        now = time.perf_counter()
        self.timings[part] = self.timings.get(part, 0.0) + (now - self.last) * 1000
        self.last = now


# Query vectors of recent questions, per embedder: a repeated question (a page reloaded, the same
# question asked again, status drafting re-asking its evidence queries) is not embedded again.
QUERY_CACHE_SIZE = 1024
_query_vectors: weakref.WeakKeyDictionary[Any, OrderedDict[str, np.ndarray]] = weakref.WeakKeyDictionary()
_query_lock = threading.Lock()


def query_vector(embedder: Embedder, query: str) -> np.ndarray:
    """`embedder([query])[0]`, from the cache when this embedder embedded the same text lately."""
    try:
        with _query_lock:
            cache = _query_vectors.setdefault(embedder, OrderedDict())
            found = cache.get(query)
            if found is not None:
                cache.move_to_end(query)
                return found
    except TypeError:  # an embedder that cannot be weakly referenced: no cache
        return np.asarray(embedder([query])[0])
    vector = np.asarray(embedder([query])[0])
    vector.setflags(write=False)  # shared by every caller that asks the same question
    with _query_lock:
        cache[query] = vector
        while len(cache) > QUERY_CACHE_SIZE:
            cache.popitem(last=False)
    return vector


def _fuse(
    config: RetrieverConfig, vector_ranked: list[tuple[str, float]], keyword_ranked: list[tuple[str, float]]
) -> tuple[list[tuple[str, float]], dict[str, dict[str, int]]]:
    """Weighted reciprocal rank fusion: every candidate of either arm, best first."""
    fused: dict[str, float] = {}
    ranks: dict[str, dict[str, int]] = {}
    for arm, ranked, weight in (
        ("vector", vector_ranked, config.vector.weight),
        ("keyword", keyword_ranked, config.keyword.weight),
    ):
        for rank, (chunk_id, _score) in enumerate(ranked, start=1):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (config.fusion.rrf_k + rank)
            ranks.setdefault(chunk_id, {})[arm] = rank
    return sorted(fused.items(), key=lambda item: (-item[1], item[0])), ranks


def _groups(
    docs: Sequence[Document], chunking: ChunkingConfig
) -> Iterator[list[tuple[Document, list[Chunk]]]]:
    """Documents with their chunks, in groups of about `EMBED_GROUP` chunks."""
    group: list[tuple[Document, list[Chunk]]] = []
    size = 0
    for doc in docs:
        chunks = chunk_document(doc, chunking)
        group.append((doc, chunks))
        size += len(chunks)
        if size >= EMBED_GROUP:
            yield group
            group, size = [], 0
    if group:
        yield group
