"""The document index: chunk windows and metadata, program isolation, filters, replace and remove,
the keyword arm in the database (SQLite FTS5, PostgreSQL tsvector), retriever configurations,
and the Chroma adapter."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from pilot.domain.documents import Document, DocumentKind, Turn
from pilot.domain.errors import PilotError
from pilot.index.chunking import ChunkingConfig, chunk_document
from pilot.index.embedding import Vectors
from pilot.index.hybrid import DocumentIndex
from pilot.index.retrievers import RetrieverConfig, load_retriever
from pilot.index.terms import keyword_terms
from pilot.store.chunks import keyword_search, plan_terms
from pilot.store.db import Database, open_database
from pilot.store.tables import ChunkRow, KeywordProgramRow, KeywordTermRow

from .fakes import MemoryVectors, hashing_embedder


def transcript(
    program: str, external_id: str, lines: list[tuple[str, str]], day: date = date(2026, 11, 16)
) -> Document:
    turns = [
        Turn(index=i, speaker=s, text=t, start=float(i * 10), end=float(i * 10 + 9))
        for i, (s, t) in enumerate(lines)
    ]
    return Document(program_id=program, source="file", external_id=external_id, kind=DocumentKind.TRANSCRIPT,
                    title=external_id, text="\n".join(f"{s}: {t}" for s, t in lines), meeting_date=day, turns=turns)  # fmt: skip


def ticket(program: str, key: str, text: str, updated: datetime) -> Document:
    return Document(program_id=program, source="jira", external_id=key, kind=DocumentKind.TICKET, title=key,
                    text=f"{key}: {text}", updated_at=updated, url=f"https://jira.example/browse/{key}")  # fmt: skip


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = open_database(database_url, run_migrations=True)
    yield database
    database.dispose()


@pytest.fixture
def index(db: Database) -> DocumentIndex:
    return DocumentIndex(db, MemoryVectors(), hashing_embedder)


def test_turn_windows_overlap_by_one_turn_and_keep_turns_times_and_speakers() -> None:
    lines = [(f"P{i % 3}", " ".join(["word"] * 40)) for i in range(10)]
    chunks = chunk_document(transcript("p", "m1", lines), ChunkingConfig(max_words=100, overlap_turns=1))
    ranges = [(c.metadata["turn_first"], c.metadata["turn_last"]) for c in chunks]
    assert ranges[0] == (0, 1) and all(b[0] == a[1] for a, b in zip(ranges, ranges[1:], strict=False))
    assert ranges[-1][1] == 9
    assert all(len(c.text.split()) <= 100 for c in chunks)
    first = chunks[0].metadata
    assert first["start_s"] == 0.0 and first["end_s"] == 19.0 and first["speakers"] == "P0, P1"
    assert first["program_id"] == "p" and first["document_key"] == "file:m1" and first["kind"] == "transcript"


def test_a_turn_longer_than_the_window_is_split_on_sentences() -> None:
    long_turn = " ".join(f"Sentence number {i} is here." for i in range(60))
    chunks = chunk_document(transcript("p", "m", [("Ana", long_turn)]), ChunkingConfig(max_words=50))
    assert len(chunks) > 5 and all(len(c.text.split()) <= 50 for c in chunks)
    assert " ".join(c.text.replace("Ana: ", "") for c in chunks).split() == long_turn.split()


def test_keyword_terms_fold_case_accents_and_clitics_and_drop_function_words() -> None:
    assert keyword_terms("We're moving the Café cut-over; DON'T slip!") == [
        "moving",
        "cafe",
        "cut",
        "over",
        "don",
        "slip",
    ]
    assert keyword_terms("PAY-1420 blocks v2.3 for Grad B") == ["pay", "1420", "blocks", "v2", "grad"]
    assert keyword_terms("the and of") == []


def test_programs_never_see_each_others_chunks(index: DocumentIndex) -> None:
    index.add_document(transcript("alpha", "m", [("Ana", "the ledger cutover slips a week")]))
    index.add_document(transcript("beta", "m", [("Bo", "the ledger cutover is on time")]))
    hits = index.search("alpha", "ledger cutover")
    assert hits and {h.metadata["program_id"] for h in hits} == {"alpha"}
    assert index.search("gamma", "ledger cutover") == []


def test_filters_apply_to_both_arms(index: DocumentIndex) -> None:
    index.add_documents([
        transcript("p", "m", [("Ana", "firewall change request for PCI segmentation")], day=date(2026, 11, 10)),
        ticket("p", "PAY-1", "firewall change request for PCI segmentation", datetime(2026, 11, 18, tzinfo=UTC)),
    ])  # fmt: skip
    jira = index.search("p", "firewall PCI", sources=["jira"])
    assert [h.document_key for h in jira] == ["jira:PAY-1"] and jira[0].keyword_rank == jira[
        0
    ].vector_rank == 1
    assert {h.metadata["kind"] for h in index.search("p", "firewall PCI", kinds=["transcript"])} == {
        "transcript"
    }
    recent = index.search("p", "firewall PCI", since=datetime(2026, 11, 15, tzinfo=UTC))
    assert [h.document_key for h in recent] == ["jira:PAY-1"]
    older = index.search("p", "firewall PCI", until=datetime(2026, 11, 15, tzinfo=UTC))
    assert [h.document_key for h in older] == ["file:m"] and older[0].keyword_rank == 1


def test_replacing_and_removing_a_document_keeps_both_arms_and_the_term_counts_consistent(
    index: DocumentIndex, db: Database
) -> None:
    index.add_document(
        ticket("p", "PAY-1", "settlement file format changed", datetime(2026, 11, 1, tzinfo=UTC))
    )
    index.add_document(
        ticket("p", "PAY-2", "settlement report for finance", datetime(2026, 11, 1, tzinfo=UTC))
    )
    assert {h.keyword_rank for h in index.search("p", "settlement")} == {1, 2}
    index.add_document(ticket("p", "PAY-1", "vault firmware upgrade", datetime(2026, 11, 2, tzinfo=UTC)))
    settlement = index.search("p", "settlement")
    assert [h.document_key for h in settlement if h.keyword_rank] == ["jira:PAY-2"]
    assert all("settlement" not in h.text for h in settlement if h.document_key == "jira:PAY-1")
    assert [h.keyword_rank for h in index.search("p", "firmware")][:1] == [1]
    with db.reading() as session:
        counts = dict(session.execute(select(KeywordTermRow.term, KeywordTermRow.chunks)).all())
        assert counts["settlement"] == 1 and counts["firmware"] == 1 and "format" not in counts
        assert session.get(KeywordProgramRow, "p").chunks == 2  # type: ignore[union-attr]
    index.remove_document("p", "jira:PAY-1")
    index.remove_document("p", "jira:PAY-2")
    assert index.search("p", "firmware") == [] and index.search("p", "settlement") == []
    with db.reading() as session:
        assert session.execute(select(KeywordTermRow)).first() is None
        assert session.execute(select(ChunkRow)).first() is None


def test_keyword_arm_ranks_rare_terms_first(index: DocumentIndex, db: Database) -> None:
    index.add_documents([
        ticket("p", "A", "the HSM firmware upgrade", datetime(2026, 11, 1, tzinfo=UTC)),
        ticket("p", "B", "the firmware of the load balancer", datetime(2026, 11, 1, tzinfo=UTC)),
        ticket("p", "C", "lunch plans", datetime(2026, 11, 1, tzinfo=UTC)),
    ])  # fmt: skip
    with db.reading() as session:
        ranked = keyword_search(session, "p", keyword_terms("HSM firmware"), 5)
        ids = {c.chunk_id: c.document_key for c in session.execute(select(ChunkRow)).scalars()}
    assert [ids[cid] for cid, _ in ranked] == ["jira:A", "jira:B"]
    assert ranked[0][1] > ranked[1][1] > 0


def test_a_query_plan_takes_terms_rarest_first_within_the_budget() -> None:
    counts = {"speaker": 9000, "vault": 40, "firmware": 300, "absent": 0, "common": 2000}
    assert plan_terms(counts, budget=5000) == ["vault", "firmware", "common"]
    assert plan_terms(counts, budget=100) == ["vault"]
    assert plan_terms({"speaker": 9000}, budget=100) == ["speaker"]  # still searched, over its newest matches
    assert plan_terms({"absent": 0}, budget=100) == []


def test_a_term_over_the_budget_is_searched_over_its_newest_matches(
    index: DocumentIndex, db: Database
) -> None:
    index.add_documents(
        [ticket("p", f"T-{n}", f"rollout wave {n}", datetime(2026, 11, 1, tzinfo=UTC)) for n in range(8)]
    )
    with db.reading() as session:
        ranked = keyword_search(session, "p", ["rollout"], 10, budget=3)
    assert len(ranked) == 3


def test_retriever_configurations_are_validated_data() -> None:
    default = load_retriever("default")
    assert default.vector.weight > 0 and default.keyword.weight > 0 and default.chunking.max_words <= 200
    assert load_retriever("vector-only").keyword.weight == 0
    with pytest.raises(PilotError, match="unknown retriever"):
        load_retriever("nope")
    with pytest.raises(ValueError):
        RetrieverConfig.model_validate({"name": "x", "k": 0})
    with pytest.raises(ValueError):
        RetrieverConfig.model_validate({"name": "x", "surprise": True})


def test_vector_only_retriever_has_no_keyword_ranks(index: DocumentIndex) -> None:
    index.add_document(ticket("p", "PAY-1", "vault firmware upgrade", datetime(2026, 11, 2, tzinfo=UTC)))
    hits = index.search("p", "firmware", retriever="vector-only")
    assert hits and all(h.keyword_rank is None for h in hits)


def test_vectors_without_committed_rows_are_never_returned(index: DocumentIndex, db: Database) -> None:
    doc = ticket("p", "PAY-9", "vault firmware upgrade", datetime(2026, 11, 2, tzinfo=UTC))
    chunks = chunk_document(doc)
    index.vectors.replace_document("p", doc.key, [c.id for c in chunks], hashing_embedder([c.text for c in chunks]),
                                   [c.metadata for c in chunks])  # fmt: skip
    assert index.search("p", "vault firmware") == []


def test_chroma_adapter_round_trip(db: Database, tmp_path: Path) -> None:
    from pilot.index.chroma_store import ChromaVectors, collection_name

    index = DocumentIndex(db, ChromaVectors(path=tmp_path / "chroma"), hashing_embedder)
    index.add_documents([
        ticket("prog/1", "PAY-1", "settlement file format changed", datetime(2026, 11, 1, tzinfo=UTC)),
        ticket("prog/2", "PAY-1", "settlement file format changed", datetime(2026, 11, 1, tzinfo=UTC)),
    ])  # fmt: skip
    hits = index.search("prog/1", "settlement file")
    assert [h.metadata["program_id"] for h in hits] == ["prog/1"] and hits[0].vector_rank == 1
    reopened = DocumentIndex(db, ChromaVectors(path=tmp_path / "chroma"), hashing_embedder)
    assert [(h.keyword_rank, h.vector_rank) for h in reopened.search("prog/2", "settlement")] == [(1, 1)]
    reopened.remove_document("prog/2", "jira:PAY-1")
    assert reopened.search("prog/2", "settlement") == []
    assert reopened.search("prog/3", "settlement") == []  # no collection yet: nothing, and nothing created
    assert collection_name("prog/1") != collection_name("prog-1")


def test_keyword_ranks_use_the_programs_own_term_counts(index: DocumentIndex, db: Database) -> None:
    # In "p" "beta" is the rarer term; in "q" it is everywhere. Another program's chunks must not
    # make it common in "p" (each program's words are their own postings in the index).
    day = datetime(2026, 11, 1, tzinfo=UTC)
    index.add_documents([ticket("p", "X", "alpha rollout", day), ticket("p", "Y", "beta rollout", day),
                         ticket("p", "Z", "alpha rollout", day)])  # fmt: skip
    index.add_documents([ticket("q", f"Q{n}", f"beta wave {n}", day) for n in range(40)])
    with db.reading() as session:
        ranked = keyword_search(session, "p", ["alpha", "beta"], 5)
        keys = {c.chunk_id: c.document_key for c in session.execute(select(ChunkRow)).scalars()}
    assert [keys[cid] for cid, _ in ranked][0] == "jira:Y"
    assert {keys[cid] for cid, _ in ranked} == {"jira:X", "jira:Y", "jira:Z"}


def test_a_search_reports_the_time_of_each_part_and_embeds_a_repeated_question_once(db: Database) -> None:
    calls: list[int] = []

    def counting_embedder(texts: Sequence[str]) -> Vectors:
        calls.append(len(texts))
        return hashing_embedder(texts)

    index = DocumentIndex(db, MemoryVectors(), counting_embedder)
    index.add_document(ticket("p", "PAY-1", "vault firmware upgrade", datetime(2026, 11, 2, tzinfo=UTC)))
    calls.clear()
    timings: dict[str, float] = {}
    first = index.search("p", "vault firmware", timings=timings)
    assert set(timings) == {"embed", "vector", "keyword", "keyword_wait", "fusion", "fetch"}
    assert all(ms >= 0 for ms in timings.values())
    again = index.search("p", "vault firmware")
    assert calls == [1] and [h.chunk_id for h in again] == [h.chunk_id for h in first]
    index.search("p", "vault upgrade")
    assert calls == [1, 1]
