"""Ask about a program. The question is read as a query over program records (by the LLM when one
is configured, else, and whenever the LLM fails, by the deterministic grammar of `rules.intents`)
and answered exactly from the records as of the program's as-of date; open questions, and the
"why" of a mixed one, are answered from retrieved documents with checked citations. The answer
keeps the two apart: `rows` are records, `citations` are document passages.
"""

from __future__ import annotations

from datetime import date, datetime, time

from pilot.domain.answers import Answer, AnswerRow, IntentCandidate
from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.program import ProgramData
from pilot.pipeline.ask_retrieval import has_documents, retrieval_answer
from pilot.pipeline.context import Pilot
from pilot.pipeline.whatif import what_if_answer
from pilot.rules.calendar import local_date, zone
from pilot.rules.intent_query import QueryResult, run_query
from pilot.rules.intent_text import answer_rows, lead_sentence
from pilot.rules.intent_vocabulary import Vocabulary
from pilot.rules.intents import normalise_intent, parse_intent
from pilot.store.programs import load_program

MAX_QUESTION = 1000


def ask(
    pilot: Pilot,
    program_id: str,
    question: str,
    *,
    now: datetime | None = None,
    as_of: date | None = None,
    use_llm: bool | None = None,
) -> Answer:
    """Answer a question as of `now` or the day `as_of` (else the program's as-of date, else now)."""
    question = question.strip()
    if not question or len(question) > MAX_QUESTION:
        raise PilotError(ErrorCode.INVALID_INPUT, f"ask a question of 1 to {MAX_QUESTION} characters")
    with pilot.db.reading() as session:
        data = load_program(session, program_id)
    moment = now or pilot.as_of(data.program)
    if as_of is not None:
        moment = datetime.combine(as_of, time(17, 0), tzinfo=zone(data.program.timezone))
    today = local_date(moment, zone(data.program.timezone))
    what_if = what_if_answer(data, question, moment)  # "what if DEP-4 slips a week?": on a copy
    if what_if is not None:
        return what_if.model_copy(update={"as_of": today})
    llm_wanted = pilot.settings.llm_configured if use_llm is None else use_llm
    vocab = Vocabulary.of(data)
    intent = (llm_intent(pilot, question, vocab) if llm_wanted else None) or parse_intent(question, vocab)
    structured = records_answer(data, question, intent, today) if intent.about_records else None
    # Documents answer open questions, the "why" of a mixed one, and whatever the records have nothing on.
    documents_wanted = structured is None or intent.wants_reasons or not structured.rows
    if not documents_wanted or (structured is not None and not has_documents(pilot, program_id)):
        assert structured is not None
        return structured
    documents = retrieval_answer(pilot, program_id, question, use_llm=llm_wanted, as_of=today)
    if structured is not None and not structured.rows and not _holds(data, intent) and documents.citations:
        structured = None  # "no action items" says nothing in a program that keeps none: the documents answer
    if structured is None:
        return documents.model_copy(update={"intent": intent.model_dump(exclude_defaults=True)})
    return _mixed(structured, documents)


def llm_intent(pilot: Pilot, question: str, vocab: Vocabulary) -> IntentCandidate | None:
    """The LLM's structured reading of the question; None (the grammar decides) when it fails."""
    from pilot.chains.llm_openai import build_llm
    from pilot.chains.prompts import load_prompt

    result = build_llm(pilot.settings).invoke(
        load_prompt("ask/intent").render({"question": question}), IntentCandidate
    )
    return normalise_intent(result.parsed, vocab) if result.parsed is not None else None


def records_answer(data: ProgramData, question: str, intent: IntentCandidate, today: date) -> Answer:
    result: QueryResult = run_query(data, intent, today)
    rows = [AnswerRow(record_ref=r.ref, text=r.text, reading=r.reading) for r in answer_rows(result, data)]
    return Answer(
        program_id=data.program.id,
        question=question,
        kind="structured",
        text=lead_sentence(intent, result, data),
        as_of=today,
        rows=rows,
        sources=["records"],
        intent=intent.model_dump(exclude_defaults=True),
    )


def _holds(data: ProgramData, intent: IntentCandidate) -> bool:
    """Whether the program keeps any record of the kinds the question is about."""
    from pilot.rules.record_views import record_views

    kinds = set(intent.kinds) | (
        {"risk", "issue", "assumption", "raid-dependency"} if "raid" in intent.kinds else set()
    )
    return any(not kinds or v.kind in kinds for v in record_views(data))


def _mixed(records: Answer, documents: Answer) -> Answer:
    if not documents.citations:
        return records
    text = f"{records.text}\nFrom the documents: {documents.text}"
    return records.model_copy(
        update={
            "kind": "mixed",
            "text": text,
            "citations": documents.citations,
            "findings": documents.findings,
            "sources": ["records", "documents"],
        }
    )
