"""Upgrading a data directory indexed before chunk rows lived in SQL: migration 0003 marks its
documents `backfill`, and the next indexing run rebuilds their rows from the texts the vector
store kept, embedding nothing again."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import text

from pilot.domain.documents import Document, DocumentKind
from pilot.index.chroma_store import ChromaVectors, collection_name
from pilot.index.chunking import chunk_document
from pilot.index.embedding import Vectors
from pilot.index.hybrid import DocumentIndex
from pilot.pipeline.context import Pilot
from pilot.pipeline.ingest import IngestReport, index_pending, indexing_progress
from pilot.sample import SAMPLE_PROGRAM_ID
from pilot.store.db import make_engine
from pilot.store.documents import upsert_document

from .fakes import hashing_embedder

P = SAMPLE_PROGRAM_ID


def test_migration_0003_marks_indexed_documents_for_backfill(tmp_path: Path) -> None:
    from alembic import command

    from pilot.store.db import _alembic_config

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(text("INSERT INTO programs (id, name, tier, description, timezone, thresholds, created_at, "
                                "updated_at) VALUES ('p', 'P', 2, '', 'UTC', '{}', '2026-11-01', '2026-11-01')"))  # fmt: skip
        for n, state in enumerate(("indexed", "pending", "failed")):
            connection.execute(text(
                "INSERT INTO documents (program_id, source, external_id, kind, title, text, content_hash, turns, "
                f"meta, warnings, stored_at, index_state) VALUES ('p', 'file', 'd{n}', 'notes', '', 'x', 'h', '[]', "
                f"'{{}}', '[]', '2026-11-01', '{state}')"))  # fmt: skip
        command.upgrade(config, "head")
        states = connection.execute(text("SELECT external_id, index_state FROM documents ORDER BY id")).all()
    engine.dispose()
    assert [tuple(row) for row in states] == [("d0", "backfill"), ("d1", "pending"), ("d2", "failed")]


def refusing_embedder(texts: Sequence[str]) -> Vectors:
    raise AssertionError(f"embedded {len(texts)} texts again")


def test_backfill_rebuilds_rows_from_the_vector_store_without_embedding(pilot: Pilot, tmp_path: Path) -> None:
    doc = Document(program_id=P, source="jira", external_id="PAY-7", kind=DocumentKind.TICKET, title="PAY-7",
                   text="PAY-7: the vault firmware upgrade slipped to December", updated_at=datetime(2026, 11, 2, tzinfo=UTC))  # fmt: skip
    missing = doc.model_copy(update={"external_id": "PAY-8", "text": "PAY-8: lunch plans for the offsite"})
    store = ChromaVectors(path=tmp_path / "chroma")
    import chromadb

    old_client = chromadb.PersistentClient(path=str(tmp_path / "chroma"))  # as versions before 0003 wrote
    chunks = chunk_document(doc)
    old_client.get_or_create_collection(collection_name(P), embedding_function=None).upsert(
        ids=[c.id for c in chunks], embeddings=np.asarray(hashing_embedder([c.text for c in chunks])),
        documents=[c.text for c in chunks], metadatas=[dict(c.metadata) for c in chunks],
    )  # fmt: skip
    old_client.close()
    with pilot.db.transaction() as session:
        for item in (doc, missing):
            row, _ = upsert_document(session, item, pilot.now())
            row.index_state = "backfill"
    assert indexing_progress(pilot, P)["backfill"] == 2
    report = IngestReport(program_id=P, source="upgrade")
    index_pending(pilot, P, DocumentIndex(pilot.db, store, refusing_embedder), report)
    assert report.indexed_documents == 1 and report.index_failures == 1  # PAY-8 was not in the store
    assert indexing_progress(pilot, P) == {"pending": 0, "indexed": 1, "failed": 1}
    index = DocumentIndex(pilot.db, store, hashing_embedder)
    hits = index.search(P, "vault firmware")
    assert [(h.document_key, h.keyword_rank, h.vector_rank) for h in hits] == [("jira:PAY-7", 1, 1)]
    index_pending(
        pilot, P, index, IngestReport(program_id=P, source="upgrade")
    )  # the failed one, embedded now
    assert indexing_progress(pilot, P) == {"pending": 0, "indexed": 2, "failed": 0}


def test_migration_0010_moves_the_keyword_index_to_program_keyed_words(tmp_path: Path) -> None:
    """Chunk rows written under 0003 (program token beside the terms) are found by keyword after
    the upgrade, and only in their own program."""
    from alembic import command

    from pilot.store.chunks import keyword_search, program_key
    from pilot.store.db import _alembic_config, open_database

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
        for n, (program, terms) in enumerate((("p", "vault firmware"), ("q", "vault rollout"))):
            connection.execute(
                text("INSERT INTO chunks (chunk_id, program_id, program_key, document_key, position, source, kind, "
                     "text, terms, meta) VALUES (:c, :p, :k, 'file:d', 0, 'file', 'notes', :t, :t, '{}')"),
                {"c": f"c{n}", "p": program, "k": program_key(program), "t": terms},
            )  # fmt: skip
            connection.execute(text("INSERT INTO keyword_programs VALUES (:p, 1, 2)"), {"p": program})
            for term in terms.split():
                connection.execute(
                    text("INSERT INTO keyword_terms VALUES (:p, :t, 1)"), {"p": program, "t": term}
                )
        command.upgrade(config, "head")
    engine.dispose()
    db = open_database(url)
    with db.reading() as session:
        assert [cid for cid, _ in keyword_search(session, "p", ["vault"], 5)] == ["c0"]
        assert [cid for cid, _ in keyword_search(session, "q", ["vault", "rollout"], 5)] == ["c1"]
        assert keyword_search(session, "p", ["rollout"], 5) == []
    db.dispose()
