"""Chunk rows and the keyword index beside them.

A document's chunks are replaced in one transaction: the rows, the keyword index over them
(SQLite: the contentless FTS5 table `chunk_words`, written here; PostgreSQL: a generated tsvector
with a GIN index) and the per-program term counts. The index holds each term keyed by its program
(`<program_key><term>`), so a term's posting list is that program's chunks and a query reads and
scores nothing of other programs (migration 0010_query). Every process therefore sees every committed write at once, and nothing
about keyword search lives in a process's memory.

A keyword query is planned from the term counts: its terms are taken rarest first while the chunks
they occur in stay within a budget. A term that occurs in a large share of the program (a
speaker's name in every turn) ranks little under BM25 and costs the most to score, so at scale it
is left out; a query made only of such terms is scored over its most recent matches.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, text
from sqlalchemy.orm import Session

from pilot.store.tables import ChunkRow, KeywordProgramRow, KeywordTermRow

Metadata = Mapping[str, str | int | float | bool]


@dataclass(frozen=True)
class ChunkData:
    """A chunk as the index writes it: `terms` are its keyword terms, normalized, in order."""

    chunk_id: str
    position: int
    text: str
    terms: Sequence[str]
    metadata: Metadata


@dataclass(frozen=True)
class ChunkFilter:
    sources: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    since_ts: float | None = None
    until_ts: float | None = None

    def clauses(self) -> tuple[list[str], dict[str, Any]]:
        """SQL conditions on the `chunks` row aliased `c`, with their parameters."""
        where: list[str] = []
        params: dict[str, Any] = {}
        if self.sources:
            where.append("c.source IN :sources")
            params["sources"] = list(self.sources)
        if self.kinds:
            where.append("c.kind IN :kinds")
            params["kinds"] = list(self.kinds)
        if self.since_ts is not None:
            where.append("c.date_ts >= :since_ts")
            params["since_ts"] = self.since_ts
        if self.until_ts is not None:
            where.append("c.date_ts <= :until_ts")
            params["until_ts"] = self.until_ts
        return where, params


@dataclass(frozen=True)
class StoredChunk:
    chunk_id: str
    program_id: str
    document_key: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)


def program_key(program_id: str) -> str:
    """The program's key: the prefix of every word the program's chunks have in the keyword index."""
    return "p" + hashlib.sha1(program_id.encode()).hexdigest()[:24]


# --- writing -------------------------------------------------------------------------------------


def replace_document_chunks(
    session: Session, program_id: str, document_key: str, chunks: Sequence[ChunkData]
) -> None:
    """The document's chunks become `chunks` (none: the document leaves the index)."""
    _lock_program(session, program_id)
    old = session.execute(
        select(ChunkRow.id, ChunkRow.terms).where(
            ChunkRow.program_id == program_id, ChunkRow.document_key == document_key
        )
    ).all()
    sqlite = session.get_bind().dialect.name == "sqlite"
    delta: Counter[str] = Counter()
    removed_terms = 0
    for _, terms in old:
        words = terms.split()
        removed_terms += len(words)
        delta.subtract(set(words))
    if old:
        if sqlite:
            _sqlite_words(session, program_id, [(row_id, terms) for row_id, terms in old], delete=True)
        session.execute(delete(ChunkRow).where(ChunkRow.id.in_([row_id for row_id, _ in old])))
    if chunks:
        session.execute(insert(ChunkRow), [_row(program_id, document_key, c) for c in chunks])
        if sqlite:
            new = session.execute(
                select(ChunkRow.id, ChunkRow.terms).where(
                    ChunkRow.program_id == program_id, ChunkRow.document_key == document_key
                )
            ).all()
            _sqlite_words(session, program_id, [(row_id, terms) for row_id, terms in new], delete=False)
    for chunk in chunks:
        delta.update(set(chunk.terms))
    added_terms = sum(len(c.terms) for c in chunks)
    _count_terms(session, program_id, delta)
    stats = session.get(KeywordProgramRow, program_id, populate_existing=True)
    assert stats is not None  # made by _lock_program
    stats.chunks += len(chunks) - len(old)
    stats.terms += added_terms - removed_terms
    session.flush()


def keyed_words(program_id: str, terms: str | Sequence[str]) -> str:
    """The words the keyword index holds for a chunk's terms: each term prefixed with the program's
    key, so that a term's posting list holds that program's chunks only."""
    key = program_key(program_id)
    return " ".join(key + term for term in (terms.split() if isinstance(terms, str) else terms))


def _sqlite_words(
    session: Session, program_id: str, rows: Sequence[tuple[int, str]], *, delete: bool
) -> None:
    """Add rows to (or take them out of) the contentless FTS5 table `chunk_words`; taking out
    needs the very words that were added, which the chunk row's terms give back."""
    if delete:
        sql = "INSERT INTO chunk_words(chunk_words, rowid, words) VALUES ('delete', :id, :words)"
    else:
        sql = "INSERT INTO chunk_words(rowid, words) VALUES (:id, :words)"
    session.execute(
        text(sql), [{"id": row_id, "words": keyed_words(program_id, terms)} for row_id, terms in rows]
    )


def _row(program_id: str, document_key: str, chunk: ChunkData) -> dict[str, Any]:
    meta = dict(chunk.metadata)
    date_ts = meta.get("date_ts")
    return {
        "chunk_id": chunk.chunk_id,
        "program_id": program_id,
        "program_key": program_key(program_id),
        "document_key": document_key,
        "position": chunk.position,
        "source": str(meta.get("source", "")),
        "kind": str(meta.get("kind", "")),
        "date_ts": float(date_ts) if isinstance(date_ts, int | float) else None,
        "text": chunk.text,
        "terms": " ".join(chunk.terms),
        "meta": meta,
    }


def _lock_program(session: Session, program_id: str) -> None:
    """Writers of one program's chunks go one at a time (PostgreSQL row lock; SQLite already
    serializes writers), so two processes indexing the same document cannot interleave."""
    if session.get(KeywordProgramRow, program_id) is None:
        session.execute(
            _upsert(session, KeywordProgramRow, ["program_id"], {}).values(
                program_id=program_id, chunks=0, terms=0
            )
        )
    session.execute(
        select(KeywordProgramRow.program_id)
        .where(KeywordProgramRow.program_id == program_id)
        .with_for_update()
    )


def _upsert(session: Session, entity: Any, keys: list[str], increments: dict[str, Any]) -> Any:
    """INSERT ... ON CONFLICT: do nothing, or add the new row's `increments` columns to the old."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(entity)
    if not increments:
        return statement.on_conflict_do_nothing(index_elements=keys)
    values = {name: getattr(entity, name) + getattr(statement.excluded, name) for name in increments}
    return statement.on_conflict_do_update(index_elements=keys, set_=values)


def _count_terms(session: Session, program_id: str, delta: Counter[str]) -> None:
    changes = sorted((term, n) for term, n in delta.items() if n)  # sorted: one lock order for all
    if not changes:
        return
    session.execute(
        _upsert(session, KeywordTermRow, ["program_id", "term"], {"chunks": True}),
        [{"program_id": program_id, "term": term, "chunks": n} for term, n in changes],
    )
    gone = [term for term, n in changes if n < 0]
    if gone:
        session.execute(
            delete(KeywordTermRow).where(
                KeywordTermRow.program_id == program_id,
                KeywordTermRow.term.in_(gone),
                KeywordTermRow.chunks <= 0,
            )
        )


# --- reading -------------------------------------------------------------------------------------


def load_chunks(session: Session, chunk_ids: Iterable[str]) -> dict[str, StoredChunk]:
    ids = list(dict.fromkeys(chunk_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(
            ChunkRow.chunk_id, ChunkRow.program_id, ChunkRow.document_key, ChunkRow.text, ChunkRow.meta
        ).where(ChunkRow.chunk_id.in_(ids))
    ).all()
    return {row[0]: StoredChunk(row[0], row[1], row[2], row[3], dict(row[4] or {})) for row in rows}


def count_chunks(session: Session, program_id: str) -> int:
    stats = session.get(KeywordProgramRow, program_id)
    return stats.chunks if stats is not None else 0


def plan_terms(counts: Mapping[str, int], budget: int) -> list[str]:
    """The query's terms rarest first while the chunks they occur in stay within `budget`
    (at least the rarest one). Terms no chunk has are dropped: they match nothing."""
    planned: list[str] = []
    total = 0
    for term, n in sorted(((t, n) for t, n in counts.items() if n > 0), key=lambda item: (item[1], item[0])):
        if planned and total + n > budget:
            break
        planned.append(term)
        total += n
    return planned


def keyword_search(
    session: Session,
    program_id: str,
    terms: Sequence[str],
    limit: int,
    *,
    chunk_filter: ChunkFilter | None = None,
    budget: int = 5000,
) -> list[tuple[str, float]]:
    """Chunk ids of the program ranked by keyword relevance (best first), with their scores."""
    unique = sorted(set(terms))
    if not unique or limit <= 0:
        return []
    rows = session.execute(
        select(KeywordTermRow.term, KeywordTermRow.chunks).where(
            KeywordTermRow.program_id == program_id, KeywordTermRow.term.in_(unique)
        )
    )
    counts = {str(term): int(n) for term, n in rows}
    planned = plan_terms(counts, budget)
    if not planned:
        return []
    where, params = (chunk_filter or ChunkFilter()).clauses()
    params.update(limit=limit, cap=budget)
    if session.get_bind().dialect.name == "postgresql":
        return _postgres_search(session, program_id, planned, counts, where, params)
    return _sqlite_search(session, program_id, planned, where, params)


def _expanding(sql: str, params: Mapping[str, Any]) -> Any:
    statement = text(sql)
    for name in ("sources", "kinds"):
        if name in params:
            statement = statement.bindparams(bindparam(name, expanding=True))
    return statement


def _sqlite_search(
    session: Session, program_id: str, planned: Sequence[str], where: list[str], params: dict[str, Any]
) -> list[tuple[str, float]]:
    # bm25() over the program's keyed words (lower is better); the rows scored are the newest
    # matches up to the cap, which only a query of very common terms reaches. Without filters only
    # the best `limit` are looked up in `chunks`; with filters every match is, before ranking.
    params["match"] = " OR ".join(f'"{word}"' for word in keyed_words(program_id, planned).split())
    params["program_id"] = program_id
    matches = (
        "SELECT rowid AS id, bm25(chunk_words) AS score FROM chunk_words"
        " WHERE chunk_words MATCH :match ORDER BY rowid DESC LIMIT :cap"
    )
    if not where:
        matches = f"SELECT id, score FROM ({matches}) ORDER BY score, id LIMIT :limit"
    sql = (
        f"SELECT c.chunk_id, -m.score FROM ({matches}) AS m"
        " JOIN chunks AS c ON c.id = m.id AND c.program_id = :program_id"
        + "".join(f" AND {clause}" for clause in where)
        + " ORDER BY m.score, c.chunk_id LIMIT :limit"
    )
    return [(str(cid), float(score)) for cid, score in session.execute(_expanding(sql, params), params)]


def _postgres_search(
    session: Session,
    program_id: str,
    planned: Sequence[str],
    counts: Mapping[str, int],
    where: list[str],
    params: dict[str, Any],
) -> list[tuple[str, float]]:
    # No bm25() in PostgreSQL: each term's ts_rank (its frequency in the chunk, normalized by the
    # chunk's length) is weighted by the term's BM25 idf from the program's term counts. Terms are
    # normalized already (letters and digits only), so they are lexemes as they stand.
    import math

    total = max(count_chunks(session, program_id), max(counts.values(), default=1))
    parts = []
    for number, term in enumerate(planned):
        n = counts[term]
        params[f"w{number}"] = math.log(1 + (total - n + 0.5) / (n + 0.5))
        params[f"q{number}"] = keyed_words(program_id, [term])
        parts.append(f":w{number} * ts_rank(m.tsv, CAST(:q{number} AS tsquery), 1)")
    params.update(program_id=program_id, query=" | ".join(keyed_words(program_id, planned).split()))
    # The words are keyed by the program, so the GIN index alone finds the program's chunks; a
    # program_id condition beside it lets the planner AND in the program's whole b-tree range
    # (35 ms at 100k chunks), so the program is checked on the few rows found instead.
    sql = (
        "SELECT m.chunk_id, " + " + ".join(parts) + " AS score FROM ("
        " SELECT c.id, c.chunk_id, c.program_id, c.tsv FROM chunks AS c"
        " WHERE c.tsv @@ CAST(:query AS tsquery)"
        + "".join(f" AND {clause}" for clause in where)
        + " ORDER BY c.id DESC LIMIT :cap) AS m WHERE m.program_id = :program_id"
        " ORDER BY score DESC, m.chunk_id LIMIT :limit"
    )
    return [(str(cid), float(score)) for cid, score in session.execute(_expanding(sql, params), params)]
