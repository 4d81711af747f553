"""Open questions answered from the program's documents: hybrid retrieval, candidates re-ranked for
the kind of answer the question wants (`rules.passages`), an extractive answer (or the LLM's)
and citations checked against what was retrieved. `pilot ask` and `pilot eval qa` both run this.
"""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from pilot.domain.answers import Answer, Citation, CitedAnswer
from pilot.domain.errors import ErrorCode, PilotError
from pilot.index import Hit
from pilot.pipeline.context import Pilot
from pilot.pipeline.search import search_program
from pilot.rules.citations import check_citations
from pilot.rules.intent_lexicon import REASONS
from pilot.rules.passages import Candidate, best_sentences, rank_passages
from pilot.store.tables import DocumentRow

# Retrieval settings of `pilot ask` (tuned on ELITR dev and QMSum val; see README).
CANDIDATES = 80  # chunks retrieved before the re-ranking (ELITR dev: 40 -> 0.525, 80 -> 0.539)
BUDGET_WORDS = 450  # words of cited passages
NOTHING = "Nothing in this program's documents matches the question."
ATTENDANCE = re.compile(
    r"\b(?:attend\w*|participants?|present|who (?:was|were) (?:there|in|at)|joined|took part)\b", re.I
)


def has_documents(pilot: Pilot, program_id: str) -> bool:
    with pilot.db.reading() as session:
        query = select(DocumentRow.id).where(
            DocumentRow.program_id == program_id, DocumentRow.deleted_at.is_(None)
        )
        return session.execute(query.limit(1)).first() is not None


def retrieval_answer(
    pilot: Pilot, program_id: str, question: str, *, use_llm: bool, as_of: date | None = None
) -> Answer:
    hits = search_program(pilot, program_id, question, k=CANDIDATES)
    if not hits:
        return Answer(program_id=program_id, question=question, kind="retrieval", text=NOTHING, as_of=as_of)
    retrieved = {
        h.document_key: "\n".join(x.text for x in hits if x.document_key == h.document_key) for h in hits
    }
    candidates = [
        Candidate(
            key=h.chunk_id,
            document=h.document_key,
            text=h.text,
            score=h.score,
            turn_first=_int(h.metadata.get("turn_first")),
            turn_last=_int(h.metadata.get("turn_last")),
        )
        for h in hits
    ]
    by_chunk = {h.chunk_id: h for h in hits}
    packed = rank_passages(question, candidates, BUDGET_WORDS)
    if use_llm:
        return _llm_answer(
            pilot, program_id, question, [by_chunk[c.key] for c, _ in packed], retrieved, as_of
        )
    citations = [_citation(by_chunk[c.key], text) for c, text in packed]
    kept, findings = check_citations(citations, retrieved)
    sentences = best_sentences(
        question, [text for _, text in packed], limit=2 if REASONS.search(question) else 1
    )
    text = " ".join(sentences) if sentences else packed[0][1][:600]
    if ATTENDANCE.search(question):  # who was there: the speakers of the document the question is about
        speakers = _speakers(pilot, program_id, hits[0])
        if speakers:
            title = str(hits[0].metadata.get("title") or hits[0].document_key)
            text = f"Speakers in {title}: {', '.join(speakers)}. {text}"
    return Answer(
        program_id=program_id,
        question=question,
        kind="retrieval",
        engine="offline",
        text=text,
        as_of=as_of,
        citations=kept,
        findings=findings,
        sources=["documents"],
    )


def _speakers(pilot: Pilot, program_id: str, hit: Hit) -> list[str]:
    """Everyone who speaks in the hit's document, in order of first turn."""
    source, external_id = str(hit.metadata.get("source", "")), str(hit.metadata.get("external_id", ""))
    with pilot.db.reading() as session:
        turns = session.execute(
            select(DocumentRow.turns).where(
                DocumentRow.program_id == program_id,
                DocumentRow.source == source,
                DocumentRow.external_id == external_id,
                DocumentRow.deleted_at.is_(None),
            )
        ).scalar()
    return list(
        dict.fromkeys(str(t["speaker"]) for t in turns or [] if isinstance(t, dict) and t.get("speaker"))
    )


def _int(value: object) -> int | None:
    return int(value) if isinstance(value, int | float | str) and str(value).lstrip("-").isdigit() else None


def _citation(hit: Hit, quote: str) -> Citation:
    meta = hit.metadata
    return Citation(
        document_key=hit.document_key,
        title=str(meta.get("title") or hit.document_key),
        quote=quote,
        url=str(meta["url"]) if meta.get("url") else None,
        turn=int(meta["turn_first"]) if "turn_first" in meta else None,
    )


def _llm_answer(
    pilot: Pilot,
    program_id: str,
    question: str,
    hits: list[Hit],
    retrieved: dict[str, str],
    as_of: date | None,
) -> Answer:
    from pilot.chains.llm_openai import build_llm
    from pilot.chains.prompts import load_prompt

    passages = [{"title": str(h.metadata.get("title") or h.document_key), "text": h.text} for h in hits]
    result = build_llm(pilot.settings).invoke(
        load_prompt("ask/answer").render({"question": question, "passages": passages}), CitedAnswer
    )
    if result.parsed is None:
        failure = result.failure
        code = (
            ErrorCode.UPSTREAM_INVALID_OUTPUT
            if failure and failure.kind == "invalid_output"
            else ErrorCode.UPSTREAM_UNAVAILABLE
        )
        raise PilotError(code, f"the LLM did not answer: {failure.message if failure else ''}")
    citations: list[Citation] = []
    seen: set[tuple[str | None, str]] = set()
    for cited in result.parsed.citations:
        if 1 <= cited.passage <= len(hits):
            citation = _citation(hits[cited.passage - 1], cited.quote)
        else:
            citation = Citation(document_key=f"passage:{cited.passage}", quote=cited.quote)
        if (citation.document_key, citation.quote) not in seen:
            seen.add((citation.document_key, citation.quote))
            citations.append(citation)
    kept, findings = check_citations(citations, retrieved)
    return Answer(
        program_id=program_id,
        question=question,
        kind="retrieval",
        engine="llm",
        text=result.parsed.answer,
        as_of=as_of,
        citations=kept,
        findings=findings,
        sources=["documents"],
    )
