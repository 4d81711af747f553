"""The document index: chunk windows and metadata, program isolation, filters, replace and remove,
the keyword arm staying consistent, retriever configurations, and the Chroma adapter."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pytest

from pilot.domain.documents import Document, DocumentKind, Turn
from pilot.domain.errors import PilotError
from pilot.index.chunking import ChunkingConfig, chunk_document
from pilot.index.embedding import Vectors
from pilot.index.hybrid import DocumentIndex
from pilot.index.keyword import KeywordIndex
from pilot.index.memory_store import MemoryVectors
from pilot.index.retrievers import RetrieverConfig, load_retriever


def hashing_embedder(texts: Sequence[str]) -> Vectors:
    """Deterministic bag-of-words vectors: close texts share dimensions. No model, no network."""
    out = np.zeros((len(texts), 256), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in re.findall(r"[a-z]+", text.lower()):
            out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % 256] += 1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms == 0, 1, norms)


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
def index() -> DocumentIndex:
    return DocumentIndex(MemoryVectors(), hashing_embedder)


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


def test_programs_never_see_each_others_chunks(index: DocumentIndex) -> None:
    index.add_document(transcript("alpha", "m", [("Ana", "the ledger cutover slips a week")]))
    index.add_document(transcript("beta", "m", [("Bo", "the ledger cutover is on time")]))
    hits = index.search("alpha", "ledger cutover")
    assert hits and {h.metadata["program_id"] for h in hits} == {"alpha"}
    assert index.search("gamma", "ledger cutover") == []


def test_filters_by_source_kind_and_date(index: DocumentIndex) -> None:
    index.add_documents([
        transcript("p", "m", [("Ana", "firewall change request for PCI segmentation")], day=date(2026, 11, 10)),
        ticket("p", "PAY-1", "firewall change request for PCI segmentation", datetime(2026, 11, 18, tzinfo=UTC)),
    ])  # fmt: skip
    assert {h.metadata["source"] for h in index.search("p", "firewall PCI", sources=["jira"])} == {"jira"}
    assert {h.metadata["kind"] for h in index.search("p", "firewall PCI", kinds=["transcript"])} == {
        "transcript"
    }
    recent = index.search("p", "firewall PCI", since=datetime(2026, 11, 15, tzinfo=UTC))
    assert [h.document_key for h in recent] == ["jira:PAY-1"]
    older = index.search("p", "firewall PCI", until=datetime(2026, 11, 15, tzinfo=UTC))
    assert [h.document_key for h in older] == ["file:m"]


def test_replacing_and_removing_a_document_keeps_both_arms_consistent(index: DocumentIndex) -> None:
    index.add_document(
        ticket("p", "PAY-1", "settlement file format changed", datetime(2026, 11, 1, tzinfo=UTC))
    )
    assert index.search("p", "settlement")  # builds the keyword arm
    index.add_document(ticket("p", "PAY-1", "vault firmware upgrade", datetime(2026, 11, 2, tzinfo=UTC)))
    hits = index.search("p", "settlement")
    assert all("settlement" not in h.text for h in hits)
    assert [h.keyword_rank for h in index.search("p", "firmware")] == [1]
    index.remove_document("p", "jira:PAY-1")
    assert index.search("p", "firmware") == []


def test_keyword_arm_ranks_rare_terms_and_forgets_removed_chunks() -> None:
    keyword = KeywordIndex()
    keyword.add("a", "the HSM firmware upgrade", {"document_key": "d1"})
    keyword.add("b", "the firmware of the load balancer", {"document_key": "d2"})
    keyword.add("c", "lunch plans", {"document_key": "d3"})
    assert [cid for cid, _ in keyword.search("HSM firmware", 5)] == ["a", "b"]
    keyword.remove_document("d1")
    assert [cid for cid, _ in keyword.search("HSM firmware", 5)] == ["b"]
    assert "hsm" not in keyword.postings and len(keyword) == 2


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


def test_chroma_adapter_round_trip(tmp_path: Path) -> None:
    from pilot.index.chroma_store import ChromaVectors, collection_name

    index = DocumentIndex(ChromaVectors(path=tmp_path / "chroma"), hashing_embedder)
    index.add_documents([
        ticket("prog/1", "PAY-1", "settlement file format changed", datetime(2026, 11, 1, tzinfo=UTC)),
        ticket("prog/2", "PAY-1", "settlement file format changed", datetime(2026, 11, 1, tzinfo=UTC)),
    ])  # fmt: skip
    hits = index.search("prog/1", "settlement file")
    assert [h.metadata["program_id"] for h in hits] == ["prog/1"]
    # A fresh index on the same directory rebuilds its keyword arm from the stored chunks.
    reopened = DocumentIndex(ChromaVectors(path=tmp_path / "chroma"), hashing_embedder)
    assert [h.keyword_rank for h in reopened.search("prog/2", "settlement")] == [1]
    reopened.remove_document("prog/2", "jira:PAY-1")
    assert reopened.search("prog/2", "settlement") == []
    assert collection_name("prog/1") != collection_name("prog-1")
